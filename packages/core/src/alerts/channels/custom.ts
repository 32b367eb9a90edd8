// The custom channel: hands each notification to a function of the application (a pager SDK, a
// queue, a test spy). Its failures are delivery failures like any other channel's: retried by
// `deliver`, counted, never thrown into the code that raised the alert.
import { AlertChannel, type Notification, type NotificationChannel } from '../types.js';
import type { ConfigReader } from './create.js';

/**
 * Receives one notification. Reject (or throw) to report a failed delivery; stop work when
 * `signal` aborts (the per-attempt timeout), though `deliver` releases the caller either way.
 */
export type CustomHandler = (notification: Notification, signal: AbortSignal) => void | Promise<void>;

/** Options of {@link CustomChannel}. */
export interface CustomChannelOptions {
  /**
   * The function that delivers.
   * @example { handler: async (notification) => pager.trigger(notification.alerts) }
   */
  handler: CustomHandler;
}

/**
 * Reads `{ handler }` (`createChannel` also accepts the function itself).
 * @throws ChannelConfigError when `handler` is missing or not a function.
 */
export function parseCustomConfig(read: ConfigReader): CustomChannelOptions {
  return {
    handler: read.function<CustomHandler>(['handler'], 'give the function that delivers a notification'),
  };
}

/**
 * A channel backed by an application function.
 *
 * @example
 * const channel = new CustomChannel({ handler: (n) => console.log(n.status, n.alerts.length) }, 'console');
 */
export class CustomChannel implements NotificationChannel {
  readonly kind = AlertChannel.CUSTOM;
  readonly name: string;
  readonly handler: CustomHandler;

  /** @param name @default 'custom' */
  constructor(options: CustomChannelOptions, name: string = AlertChannel.CUSTOM) {
    this.name = name;
    this.handler = options.handler;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    // An attempt that already timed out must not run the handler late.
    signal.throwIfAborted();
    await this.handler(notification, signal);
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, name: this.name, handler: this.handler.name || '(anonymous function)' };
  }
}
