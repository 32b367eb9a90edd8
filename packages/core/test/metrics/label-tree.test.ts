import { describe, expect, it } from 'vitest';
import { find, insert, LabelNode } from '../../src/metrics/label-tree.js';

type S = { id: string };

describe('label tree', () => {
  it('finds what was inserted, in the order inserted, and nothing else', () => {
    const root = new LabelNode<S>();
    const a = { id: 'a' };
    insert(root, ['method', 'route'], { method: 'GET', route: '/x' }, a);
    expect(find(root, ['method', 'route'], { method: 'GET', route: '/x' })).toBe(a);
    expect(find(root, ['route', 'method'], { method: 'GET', route: '/x' })).toBeUndefined();
    expect(find(root, ['method', 'route'], { method: 'GET', route: '/y' })).toBeUndefined();
    expect(find(root, ['method'], { method: 'GET' })).toBeUndefined();
  });

  it('keeps a shorter label set when a longer one passes through it, in either order', () => {
    const root = new LabelNode<S>();
    const short = { id: 'short' };
    const long = { id: 'long' };
    insert(root, ['a'], { a: '1' }, short);
    insert(root, ['a', 'b'], { a: '1', b: '2' }, long);
    expect(find(root, ['a'], { a: '1' })).toBe(short);
    expect(find(root, ['a', 'b'], { a: '1', b: '2' })).toBe(long);

    const root2 = new LabelNode<S>();
    insert(root2, ['a', 'b'], { a: '1', b: '2' }, long);
    insert(root2, ['a'], { a: '1' }, short);
    expect(find(root2, ['a'], { a: '1' })).toBe(short);
    expect(find(root2, ['a', 'b'], { a: '1', b: '2' })).toBe(long);
  });

  it('holds many values and other label names at the same depth', () => {
    const root = new LabelNode<S>();
    const items = Array.from({ length: 50 }, (_, i) => ({ id: `v${i}` }));
    for (const [i, item] of items.entries()) insert(root, ['k'], { k: `v${i}` }, item);
    const other = { id: 'other' };
    insert(root, ['z'], { z: 'v1' }, other);
    for (const [i, item] of items.entries()) expect(find(root, ['k'], { k: `v${i}` })).toBe(item);
    expect(find(root, ['z'], { z: 'v1' })).toBe(other);
    expect(find(root, ['z'], { z: 'v2' })).toBeUndefined();
  });

  it('keeps the empty label set at the root', () => {
    const root = new LabelNode<S>();
    const empty = { id: 'empty' };
    insert(root, [], {}, empty);
    expect(find(root, [], {})).toBe(empty);
  });
});
