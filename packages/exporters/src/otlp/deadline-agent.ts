// A whole-request deadline for OpenTelemetry's OTLP/HTTP exporters. Their Node transport
// (otlp-exporter-base `sendWithHttp`) only calls `req.setTimeout(timeoutMillis)`, an idle timeout
// that every byte from the backend resets: a backend that drips its answer keeps the export, its
// socket and, through the exporter's forceFlush, every later flush of the processor waiting for as
// long as it likes, and the export is never counted. The exporters take an agent factory; this
// one hands out an agent that destroys a request's socket once the request has taken `timeoutMs`
// in all (connecting, sending and the whole answer), with an error that says so. OpenTelemetry
// reports that error as the export's failure, so `stats()` counts it.
import type { Agent, ClientRequest, ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { within } from '@datalineage/core';

/** The error a request is destroyed with at its deadline; OpenTelemetry does not retry it. */
class OtlpRequestTimeoutError extends Error {
  override readonly name = 'OtlpRequestTimeoutError';

  constructor(timeoutMs: number) {
    super(
      `request timed out after ${timeoutMs} ms (the limit covers connecting, sending and the whole ` +
        'answer; the backend did not finish answering in time)',
    );
  }
}

/** What OpenTelemetry's `httpAgentOptions` takes as a factory (its `HttpAgentFactory`). */
export type AgentFactory = (protocol: string) => Promise<Agent>;

type AgentClass = new (options: { keepAlive: boolean }) => Agent;
type Created = ((err: Error | null, stream: Duplex) => void) | undefined;

/**
 * An agent factory for OpenTelemetry's OTLP/HTTP exporters whose requests each end within
 * `timeoutMs`: at the deadline the socket is destroyed, so a dripping or silent backend holds
 * neither the export nor a socket past it.
 * @example new OTLPLogExporter({ url, timeoutMillis: 10_000, httpAgentOptions: deadlineAgentFactory(10_000) })
 */
export function deadlineAgentFactory(timeoutMs: number): AgentFactory {
  return async (protocol) => {
    // Loaded when the first export needs it, not at the top, as OpenTelemetry asks of agent
    // factories: an HTTP instrumentation loaded after this module still patches `http` first.
    const { Agent: Base }: { Agent: AgentClass } =
      protocol === 'http:' ? await import('node:http') : await import('node:https');
    // Kept-alive connections, as OpenTelemetry's default agent has them.
    return new (deadlineAgentClass(Base, timeoutMs))({ keepAlive: true });
  };
}

/**
 * `Base` with a deadline per request. Node hands a request a socket through `createConnection`
 * (a new one) or `reuseSocket` (a kept-alive one), and takes it back through `keepSocketAlive`
 * or by closing it: the deadline runs from the first to the second. `maxSockets` stays unlimited
 * (the default), so a request never waits in the agent's queue outside this span.
 */
function deadlineAgentClass(Base: AgentClass, timeoutMs: number): AgentClass {
  /** Ends the deadline of the request a socket serves. */
  const releases = new WeakMap<Duplex, () => void>();

  function arm(socket: Duplex): void {
    releases.get(socket)?.();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    releases.set(socket, release);
    void within(released, timeoutMs).then((settled) => {
      if (settled.outcome === 'expired') socket.destroy(new OtlpRequestTimeoutError(timeoutMs));
    });
  }

  return class DeadlineAgent extends Base {
    override createConnection(options: ClientRequestArgs, created?: Created): Duplex | null | undefined {
      // Node's own agents, the only bases here, return the socket rather than pass it to `created`.
      const socket = super.createConnection(options, created);
      if (socket !== undefined && socket !== null) {
        // Once per socket, not per request: a kept-alive socket serves many.
        socket.once('close', () => releases.get(socket)?.());
        arm(socket);
      }
      return socket;
    }

    override reuseSocket(socket: Duplex, request: ClientRequest): void {
      arm(socket);
      super.reuseSocket(socket, request);
    }

    override keepSocketAlive(socket: Duplex): boolean {
      releases.get(socket)?.();
      // Node's keepSocketAlive returns whether to keep the socket; the typings say void.
      return (super.keepSocketAlive as (socket: Duplex) => boolean).call(this, socket);
    }
  };
}
