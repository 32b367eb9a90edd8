// A small lineage tracker of the kind integrateWithTracker expects: methods that do the work
// (`track`, `createNode`, `addEdge`) and events it emits (`node`, `edge`, `operation`). The
// monitoring example and the integration tests use it; a real tracker needs only the same shape.
import { EventEmitter } from 'node:events';

export interface LineageNode {
  readonly id: string;
  readonly type: 'dataset' | 'transformation' | 'sink';
}

/** Edges kept; older ones are forgotten (the count goes on), so a long run stays bounded. */
const MAX_EDGES = 1000;

export class ExampleLineageTracker extends EventEmitter {
  readonly nodes = new Map<string, LineageNode>();
  readonly edges: Array<[string, string]> = [];
  /** Edges added since the start. */
  edgeCount = 0;

  createNode(id: string, type: LineageNode['type']): LineageNode {
    const node = { id, type };
    this.nodes.set(id, node);
    this.emit('node', { id, type });
    return node;
  }

  addEdge(from: string, to: string): void {
    if (!this.nodes.has(from) || !this.nodes.has(to)) throw new Error(`unknown node in edge ${from} → ${to}`);
    this.edges.push([from, to]);
    if (this.edges.length > MAX_EDGES) this.edges.shift();
    this.edgeCount++;
    this.emit('edge', { from, to, type: 'derives' });
  }

  /** Tracks one transformation: source → transformation → target, asynchronously. */
  async track(source: string, transformation: string, target: string): Promise<number> {
    const started = performance.now();
    try {
      await new Promise((resolve) => setImmediate(resolve));
      for (const [id, type] of [
        [source, 'dataset'],
        [transformation, 'transformation'],
        [target, 'dataset'],
      ] as const) {
        if (!this.nodes.has(id)) this.createNode(id, type);
      }
      this.addEdge(source, transformation);
      this.addEdge(transformation, target);
      this.emit('operation', { name: 'track', durationMs: performance.now() - started });
      return this.edgeCount;
    } catch (error) {
      this.emit('operation', { name: 'track', durationMs: performance.now() - started, error });
      throw error;
    }
  }
}
