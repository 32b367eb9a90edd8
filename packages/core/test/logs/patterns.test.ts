// Drain-style template mining: known templates come back with their counts and examples, the
// tree's rules (token count, depth, maxChildren, threshold) hold, and memory stays bounded.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MASKERS, minePatterns, PatternMiner } from '../../src/logs/patterns.js';
import { LogLevel } from '../../src/logs/types.js';

/** A deterministic UUID-shaped id per index. */
const uuid = (i: number): string =>
  `${(0x1a2b3c4d + i).toString(16)}-e89b-12d3-a456-${(426614174000 + i).toString(16).padStart(12, '0')}`;

/** The template a single message masks to. */
const masked = (message: string): string => new PatternMiner().add(message).template;

describe('PatternMiner', () => {
  it('groups lines from known templates into exactly those templates, with counts and first examples', () => {
    const miner = new PatternMiner();
    const users = ['alice', 'bob', 'carol'];
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) {
      lines.push(`Connected to 10.0.${i}.${i * 7} in ${i * 3 + 1}ms`);
      lines.push(`Request ${uuid(i)} completed with status ${[200, 404, 500][i % 3]}`);
      if (i < 6) lines.push(`User ${users[i % 3]} logged in from 192.168.${i}.20`);
      if (i < 4) lines.push(`Worker ${i} finished job 0x${(0xbeef00 + i).toString(16)} in ${i + 0.5}s`);
    }
    lines.push('Shutting down gracefully', 'Shutting down gracefully');
    for (const line of lines) miner.add(line);

    const got = miner.templates().map(({ template, count, example }) => ({ template, count, example }));
    expect(got).toEqual([
      { template: 'Connected to <IP> in <NUM>', count: 12, example: 'Connected to 10.0.0.0 in 1ms' },
      {
        template: 'Request <UUID> completed with status <NUM>',
        count: 12,
        example: `Request ${uuid(0)} completed with status 200`,
      },
      {
        template: 'User <*> logged in from <IP>',
        count: 6,
        example: 'User alice logged in from 192.168.0.20',
      },
      {
        template: 'Worker <NUM> finished job <HEX> in <NUM>',
        count: 4,
        example: 'Worker 0 finished job 0xbeef00 in 0.5s',
      },
      { template: 'Shutting down gracefully', count: 2, example: 'Shutting down gracefully' },
    ]);
    expect(miner.size).toBe(5);
  });

  it('never merges messages with different token counts, even at threshold 0', () => {
    const miner = new PatternMiner({ similarityThreshold: 0 });
    miner.add('disk full on host');
    miner.add('disk full on host now');
    miner.add('disk full');
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([
      ['disk full on host', 1],
      ['disk full on host now', 1],
      ['disk full', 1],
    ]);
  });

  it('joins a template at exactly the similarity threshold and not below it', () => {
    // Same length and first token; 2 of 4 tokens shared: similarity 0.5.
    const joined = new PatternMiner({ similarityThreshold: 0.5 });
    joined.add('user alice logged in');
    joined.add('user bob logged out');
    expect(joined.templates().map((t) => [t.template, t.count])).toEqual([['user <*> logged <*>', 2]]);

    const apart = new PatternMiner({ similarityThreshold: 0.6 });
    apart.add('user alice logged in');
    apart.add('user bob logged out');
    expect(apart.templates().map((t) => t.template)).toEqual(['user alice logged in', 'user bob logged out']);
  });

  it('does not count wildcard positions as shared', () => {
    const miner = new PatternMiner({ similarityThreshold: 0.5 });
    miner.add('job a b done');
    miner.add('job c d done'); // 2/4 shared → 'job <*> <*> done'
    miner.add('job e f failed'); // shares only 'job' with the template: 1/4
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([
      ['job <*> <*> done', 2],
      ['job e f failed', 1],
    ]);
  });

  it('routes on the first depth − 3 tokens', () => {
    const flat = new PatternMiner({ depth: 3 });
    flat.add('alpha x y');
    flat.add('beta x y');
    expect(flat.templates().map((t) => t.template)).toEqual(['<*> x y']);

    const byFirst = new PatternMiner(); // depth 4: the first token picks the leaf
    byFirst.add('alpha x y');
    byFirst.add('beta x y');
    byFirst.add('GET /a done');
    byFirst.add('GET /b done');
    expect(byFirst.templates().map((t) => t.template)).toEqual(['GET <*> done', 'alpha x y', 'beta x y']);

    const byTwo = new PatternMiner({ depth: 5 });
    byTwo.add('GET /a done');
    byTwo.add('GET /b done');
    expect(byTwo.templates().map((t) => t.template)).toEqual(['GET /a done', 'GET /b done']);
  });

  it('routes leading tokens with digits to the wildcard branch', () => {
    const miner = new PatternMiner();
    miner.add('user1 logged in');
    miner.add('user2 logged in');
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([['<*> logged in', 2]]);
  });

  it('sends tokens past maxChildren to one shared wildcard child', () => {
    const miner = new PatternMiner({ maxChildren: 2 });
    miner.add('alpha x y'); // its own child
    miner.add('beta x y'); // the last slot goes to the wildcard child
    miner.add('gamma x y'); // no slot left: joins beta in the wildcard leaf
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([
      ['<*> x y', 2],
      ['alpha x y', 1],
    ]);
  });

  it('keeps at most maxClusters templates, evicting the least recently matched', () => {
    const miner = new PatternMiner({ maxClusters: 3 });
    miner.add('alpha one');
    miner.add('beta two');
    miner.add('gamma three');
    miner.add('alpha one'); // alpha is now the most recent; beta the least
    miner.add('delta four');
    expect(miner.size).toBe(3);
    expect(miner.templates().map((t) => [t.id, t.template, t.count])).toEqual([
      [1, 'alpha one', 2],
      [3, 'gamma three', 1],
      [4, 'delta four', 1],
    ]);

    // An evicted template comes back as a new one, with a new id; gamma is evicted in turn.
    miner.add('beta two');
    expect(miner.templates().map((t) => [t.id, t.template, t.count])).toEqual([
      [1, 'alpha one', 2],
      [4, 'delta four', 1],
      [5, 'beta two', 1],
    ]);
  });

  it('holds the maxClusters bound under many distinct templates and keeps the most recent', () => {
    const word = (i: number): string => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    const miner = new PatternMiner({ maxClusters: 50 });
    for (let i = 0; i < 5000; i++) {
      miner.add(`k${word(i)} v${word(i)}`);
      expect(miner.size).toBeLessThanOrEqual(50);
    }
    expect(miner.size).toBe(50);
    const kept = new Set(miner.templates().map((t) => t.template));
    for (let i = 4950; i < 5000; i++) expect(kept.has(`k${word(i)} v${word(i)}`)).toBe(true);
    // The leaves still hold the kept templates: a repeat joins its template.
    expect(miner.add(`k${word(4999)} v${word(4999)}`).count).toBe(2);
  });

  it('frees the tree slots of evicted templates', () => {
    // Without pruning, alpha's empty node would keep its slot and gamma would land in the wildcard
    // leaf, where delta would then join it as '<*> x y'.
    const miner = new PatternMiner({ maxChildren: 2, maxClusters: 1 });
    miner.add('alpha x y');
    miner.add('beta q r s');
    miner.add('gamma x y');
    miner.add('delta x y');
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([['delta x y', 1]]);
  });

  describe('default maskers', () => {
    it.each([
      ['at 2024-05-01T10:20:30.123Z ok', 'at <TIME> ok'],
      ['at 2024-05-01T10:20:30+02:00 ok', 'at <TIME> ok'],
      ['at 2024-05-01 10:20:30 ok', 'at <TIME> ok'],
      ['at 10:20:30 ok', 'at <TIME> ok'],
      ['id 123e4567-e89b-12d3-a456-426614174000 ok', 'id <UUID> ok'],
      ['from 10.1.2.3 ok', 'from <IP> ok'],
      ['from 10.1.2.3:8080 ok', 'from <IP>:<NUM> ok'],
      ['from fe80::1ff:fe23:4567:890a ok', 'from <IP> ok'],
      ['from ::1 ok', 'from <IP> ok'],
      ['from 2001:0db8:0000:0000:0000:ff00:0042:8329 ok', 'from <IP> ok'],
      ['ptr 0xDEADbeef ok', 'ptr <HEX> ok'],
      ['trace 4bf92f3577b34da6a3ce929d0e0e4736 ok', 'trace <HEX> ok'],
      ['took 12ms, 3.5s, 10KB, 42 and 99.5% ok', 'took <NUM>, <NUM>, <NUM>, <NUM> and <NUM> ok'],
      ['GET /users/123 done.', 'GET /users/<NUM> done.'],
      ['finished in 12ms.', 'finished in <NUM>.'],
      ['said "hello big world" ok', 'said <STR> ok'],
      ["said 'hi there' ok", 'said <STR> ok'],
    ])('masks %j as %j', (message, template) => {
      expect(masked(message)).toBe(template);
    });

    it.each([
      "can't stop won't stop",
      'version 1.2.3 released',
      'user42 and v2 stay',
      'std::vector and a::b stay',
      'deadbeef cafe stay',
    ])('leaves %j alone', (message) => {
      expect(masked(message)).toBe(message);
    });

    it('masks values that hold spaces, so the token count and the template stay the same', () => {
      const miner = new PatternMiner();
      miner.add('Unknown key "a" in config');
      miner.add('Unknown key "b c d" in config');
      expect(miner.templates().map((t) => [t.template, t.count])).toEqual([
        ['Unknown key <STR> in config', 2],
      ]);
    });
  });

  it('replaces the default maskers with given ones, made global when they are not', () => {
    const miner = new PatternMiner({ maskers: [{ pattern: /\bcust-\w+/, token: '<CUST>' }] });
    expect(miner.add('order for cust-ab and cust-cd took 12ms').template).toBe(
      'order for <CUST> and <CUST> took 12ms',
    );
    const extended = new PatternMiner({
      maskers: [...DEFAULT_MASKERS, { pattern: /\bcust-\w+/g, token: '<CUST>' }],
    });
    expect(extended.add('order for cust-ab took 12ms').template).toBe('order for <CUST> took <NUM>');
  });

  it('counts levels by name and keeps the earliest and latest timestamps whatever the order', () => {
    const miner = new PatternMiner();
    miner.add('Connected to 10.0.0.1', { id: 7, level: LogLevel.ERROR, timestamp: 2_000 });
    miner.add('Connected to 10.0.0.2', { level: LogLevel.INFO, timestamp: 1_000 });
    miner.add('Connected to 10.0.0.3', { level: LogLevel.ERROR, timestamp: 3_000 });
    miner.add('Connected to 10.0.0.4', { timestamp: Number.NaN });
    const [template] = miner.templates();
    expect(template).toEqual({
      id: 1,
      template: 'Connected to <IP>',
      count: 4,
      example: 'Connected to 10.0.0.1',
      exampleId: 7,
      firstSeen: 1_000,
      lastSeen: 3_000,
      levels: { ERROR: 2, INFO: 1 },
    });
  });

  it('returns snapshots that later messages do not change', () => {
    const miner = new PatternMiner();
    const first = miner.add('user alice logged in', { level: LogLevel.INFO });
    miner.add('user bob logged in', { level: LogLevel.INFO });
    expect(first).toMatchObject({ template: 'user alice logged in', count: 1, levels: { INFO: 1 } });
    const [now] = miner.templates();
    expect(now).toMatchObject({ template: 'user <*> logged in', count: 2, levels: { INFO: 2 } });
  });

  it('sorts by count (ties oldest first) or by latest lastSeen, and limits', () => {
    const miner = new PatternMiner();
    miner.add('alpha one', { timestamp: 50 });
    miner.add('beta two', { timestamp: 10 });
    miner.add('beta two', { timestamp: 20 });
    miner.add('gamma three', { timestamp: 30 });
    miner.add('delta four'); // no timestamp: after those with one
    expect(miner.templates().map((t) => t.template)).toEqual([
      'beta two',
      'alpha one',
      'gamma three',
      'delta four',
    ]);
    expect(miner.templates({ sortBy: 'recent' }).map((t) => t.template)).toEqual([
      'alpha one',
      'gamma three',
      'beta two',
      'delta four',
    ]);
    expect(miner.templates({ limit: 2 }).map((t) => t.template)).toEqual(['beta two', 'alpha one']);
    expect(miner.templates({ limit: 0 })).toEqual([]);
    expect(() => miner.templates({ limit: -1 })).toThrow(RangeError);
    expect(() => miner.templates({ sortBy: 'size' as never })).toThrow(RangeError);
  });

  it('forgets everything on clear() but never reuses an id', () => {
    const miner = new PatternMiner();
    miner.add('alpha one');
    miner.add('beta two');
    miner.clear();
    expect(miner.size).toBe(0);
    expect(miner.templates()).toEqual([]);
    expect(miner.add('alpha one')).toMatchObject({ id: 3, count: 1 });
  });

  it('groups empty and blank messages together and never throws on bad input', () => {
    const miner = new PatternMiner();
    miner.add('');
    miner.add('   ');
    expect(miner.templates().map((t) => [t.template, t.count])).toEqual([['', 2]]);
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
    };
    expect(() => miner.add(hostile as never)).not.toThrow();
    expect(() =>
      miner.add(undefined as never, { level: 999, timestamp: Number.POSITIVE_INFINITY }),
    ).not.toThrow();
  });

  it.each([
    [{ depth: 2 }, RangeError],
    [{ depth: 4.5 }, RangeError],
    [{ similarityThreshold: 1.5 }, RangeError],
    [{ similarityThreshold: Number.NaN }, RangeError],
    [{ maxChildren: 0 }, RangeError],
    [{ maxClusters: 0 }, RangeError],
    [{ maskers: [{ pattern: 'x', token: '<X>' }] }, TypeError],
  ])('rejects %j at construction', (options, error) => {
    expect(() => new PatternMiner(options as never)).toThrow(error);
  });
});

describe('minePatterns', () => {
  it('mines a batch with levels and returns the templates sorted and limited as asked', () => {
    const entries = [
      { message: 'Disk 80% full', level: LogLevel.WARNING, timestamp: 1 },
      { message: 'Disk 95% full', level: LogLevel.ERROR, timestamp: 2 },
      { message: 'Disk 99% full', level: LogLevel.ERROR, timestamp: 3 },
      { message: 'Backup done', level: LogLevel.INFO, timestamp: 4 },
    ];
    expect(minePatterns(entries)).toEqual([
      {
        id: 1,
        template: 'Disk <NUM> full',
        count: 3,
        example: 'Disk 80% full',
        firstSeen: 1,
        lastSeen: 3,
        levels: { WARNING: 1, ERROR: 2 },
      },
      {
        id: 2,
        template: 'Backup done',
        count: 1,
        example: 'Backup done',
        firstSeen: 4,
        lastSeen: 4,
        levels: { INFO: 1 },
      },
    ]);
    expect(minePatterns(entries, { sortBy: 'recent', limit: 1 }).map((t) => t.template)).toEqual([
      'Backup done',
    ]);
  });
});
