// Small stand-ins for the components integrateWithScalability and integrateWithHighAvailability
// observe: a round-robin load balancer, a horizontal scaler, a health checker and a circuit
// breaker. Each shows the duck-typed shape the SDK reads (see their interfaces in
// @datalineage/core: LoadBalancerLike, HorizontalScalerLike, HealthCheckerLike, CircuitBreakerLike).
import { EventEmitter } from 'node:events';

export class RoundRobinBalancer extends EventEmitter {
  private index = 0;
  constructor(readonly servers: Array<{ id: string; healthy: boolean }>) {
    super();
  }

  /** The next healthy server; the SDK counts each one returned. */
  selectServer(): { id: string } | undefined {
    for (let tried = 0; tried < this.servers.length; tried++) {
      const server = this.servers[this.index++ % this.servers.length];
      if (server?.healthy) return server;
    }
    return undefined;
  }

  getStats(): { healthy: number; total: number } {
    return { healthy: this.servers.filter((s) => s.healthy).length, total: this.servers.length };
  }
}

export class SimpleScaler extends EventEmitter {
  constructor(private running = 2) {
    super();
  }

  getCurrentInstances(): number {
    return this.running;
  }

  scaleTo(count: number, reason: string): void {
    const from = this.running;
    this.running = count;
    this.emit('scale', { from, to: count, reason });
  }
}

export class HealthChecker extends EventEmitter {
  private readonly status: Record<string, boolean> = {};

  set(component: string, healthy: boolean): void {
    this.status[component] = healthy;
    this.emit('status', { component, healthy });
  }

  getHealthStatus(): Readonly<Record<string, boolean>> {
    return this.status;
  }
}

export class CircuitBreaker extends EventEmitter {
  private current: 'closed' | 'open' | 'half_open' = 'closed';
  constructor(readonly name: string) {
    super();
  }

  getState(): string {
    return this.current;
  }

  transition(to: 'closed' | 'open' | 'half_open'): void {
    const from = this.current;
    this.current = to;
    this.emit('state_change', { from, to });
  }
}
