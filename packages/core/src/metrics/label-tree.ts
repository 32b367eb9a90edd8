// The index from label sets to series: a tree walked label by label, so finding a known series
// needs no string building and no hashing of new strings — one comparison or Map hit per label on
// the value strings the caller already holds. The last label's slot holds the series itself, and
// a node's first child sits inline (most nodes have one), which keeps the index near 70 bytes per
// series. Paths follow the caller's key order: the sorted path always exists, other orders are
// aliases, bounded by the family and dropped when it rebuilds the tree.

/** A slot holds an inner node or, for the last label of a set, the series itself. */
export type Slot<S> = LabelNode<S> | S;

export class LabelNode<S> {
  /** The label name this node's children are keyed by (the first name seen at this depth). */
  name: string | undefined = undefined;
  /** The first child, inline: its value and slot. */
  value: string | undefined = undefined;
  child: Slot<S> | undefined = undefined;
  /** Further children by value. */
  children: Map<string, Slot<S>> | undefined = undefined;
  /** What few nodes need, kept apart so every node stays small. */
  rare: RareParts<S> | undefined = undefined;

  /** The series of the label set that ends here while longer sets pass through. */
  get series(): S | undefined {
    return this.rare?.series;
  }

  set series(series: S | undefined) {
    if (series === undefined && this.rare === undefined) return;
    this.rare ??= {};
    this.rare.series = series;
  }
}

interface RareParts<S> {
  series?: S | undefined;
  /** Children for other label names at this depth: name → value → slot. */
  others?: Map<string, Map<string, Slot<S>>>;
}

/** The slot for `name="value"` under `node`, if any. */
export function childOf<S>(node: LabelNode<S>, name: string, value: string): Slot<S> | undefined {
  if (name === node.name) return value === node.value ? node.child : node.children?.get(value);
  return node.rare?.others?.get(name)?.get(value);
}

function setChild<S>(node: LabelNode<S>, name: string, value: string, slot: Slot<S>): void {
  if (node.name === undefined) node.name = name;
  if (name === node.name) {
    if (node.value === undefined || node.value === value) {
      node.value = value;
      node.child = slot;
    } else {
      node.children ??= new Map();
      node.children.set(value, slot);
    }
    return;
  }
  node.rare ??= {};
  node.rare.others ??= new Map();
  let byValue = node.rare.others.get(name);
  if (byValue === undefined) {
    byValue = new Map();
    node.rare.others.set(name, byValue);
  }
  byValue.set(value, slot);
}

/** The series a slot stands for: itself, or the series of the node. */
export function seriesOf<S>(slot: Slot<S>): S | undefined {
  return slot instanceof LabelNode ? (slot.series as S | undefined) : slot;
}

/**
 * Index `series` under `names` (in that order). Returns how many inner nodes were created, so the
 * family can bound alias paths.
 */
export function insert<S>(
  root: LabelNode<S>,
  names: readonly string[],
  labels: Readonly<Record<string, string>>,
  series: S,
): number {
  if (names.length === 0) {
    root.series = series;
    return 0;
  }
  let node = root;
  let created = 0;
  const last = names.length - 1;
  for (let i = 0; i < last; i++) {
    const name = names[i] as string;
    const value = labels[name] as string;
    const slot = childOf(node, name, value);
    if (slot instanceof LabelNode) {
      node = slot;
      continue;
    }
    // Nothing here yet, or a shorter label set's series: make an inner node that keeps it.
    const inner = new LabelNode<S>();
    inner.series = slot;
    setChild(node, name, value, inner);
    created++;
    node = inner;
  }
  const name = names[last] as string;
  const value = labels[name] as string;
  const slot = childOf(node, name, value);
  if (slot instanceof LabelNode) slot.series = series;
  else setChild(node, name, value, series);
  return created;
}

/** The series indexed under `names` (in that order), if any. */
export function find<S>(
  root: LabelNode<S>,
  names: readonly string[],
  labels: Readonly<Record<string, string>>,
): S | undefined {
  let slot: Slot<S> | undefined = root;
  for (const name of names) {
    if (!(slot instanceof LabelNode)) return undefined;
    slot = childOf(slot, name, labels[name] as string);
    if (slot === undefined) return undefined;
  }
  return seriesOf(slot);
}
