/**
 * Rewrites the README's measured tables from the results files, so that every figure quoted
 * there comes from a run: called at the end of experiments/run.js and bench/run.js, or by hand
 * (`node experiments/readme.js`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = new URL('..', import.meta.url);
/** The tiers experiment's network shapes (experiments/run.js writes them). */
const SHAPES = {
  flat: 'flat flooding',
  'ultrapeers-no-up-qrp': 'ultrapeers, QRP to leaves only',
  ultrapeers: 'ultrapeers, QRP to leaves and on the last hop',
};
const read = (name) => {
  const file = new URL(`results/${name}.json`, pkg);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};
const r1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x);
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const n = (x) => Math.round(x).toLocaleString('en-US');
const when = (r) =>
  `run ${r.date.slice(0, 10)}, commit ${r.commit}, load ${r.machine.loadAverage[0]} at start`;

function experimentsSection() {
  const e = read('experiments');
  if (e === undefined) return '(no results yet: run `pnpm --filter @p2pkit/gnutella experiments`)';
  const { flood, success, pings, tiers } = e.data;
  const lines = [
    `\`${e.command}\` (${when(e)}${e.conditions.quick ? '; **quick run, shrunk sizes**' : ''}); charts and every row: [results/experiments.md](results/experiments.md).`,
    '',
  ];
  if (tiers) {
    lines.push(
      `**Flooding cost against N** (ultrapeers + QRP against flat flooding; degree ${tiers.size.degree}, TTL ${tiers.size.ttl}, files on 1 % of the servents, ${tiers.size.queries} queries):`,
      '',
      '| N | shape | Query messages/query | bytes/query (Query + Hit) | success | results/query | queries per servent: mean / p99 / max | routing bytes per servent |',
      '|---|---|---|---|---|---|---|---|',
      ...tiers.rows.map(
        (r) =>
          `| ${n(r.nodes)} | ${SHAPES[r.shape] ?? r.shape} | ${r1(r.messagesPerQuery)} | ${n(r.bytesPerQuery)} | ${pct(r.successRate)} | ${r1(r.hitsPerQuery)} | ${r1(r.queryLoadMean)} / ${r.queryLoadP99} / ${r.queryLoadMax} | ${n(r.routingBytesPerNode)} |`,
      ),
      '',
      '![Query messages per query against N](results/experiments-tiers-messages.svg)',
      '',
    );
  }
  if (flood) {
    lines.push(
      `**Messages per query against the tree bound** d((d−1)^t − 1)/(d − 2) (flat, N = ${n(flood.size.nodes)}):`,
      '',
      `| t | ${[...new Set(flood.rows.map((r) => `d = ${r.degree}`))].join(' | ')} |`,
      `|---|${[...new Set(flood.rows.map((r) => r.degree))].map(() => '---|').join('')}`,
      ...[...new Set(flood.rows.map((r) => r.ttl))].map(
        (t) =>
          `| ${t} | ${[...new Set(flood.rows.map((r) => r.degree))]
            .map((d) => flood.rows.find((r) => r.ttl === t && r.degree === d))
            .map((r) => (r ? `${r1(r.messagesPerQuery)} / ${r1(r.bound)}` : '— (bound > N/4)'))
            .join(' | ')} |`,
      ),
      '',
      '![Messages per query against TTL](results/experiments-flood.svg)',
      '',
    );
  }
  if (success) {
    lines.push(
      `**Success against TTL** (flat, N = ${n(success.size.nodes)}, degree ${success.size.degree}; rows: fraction r of servents holding the file):`,
      '',
      `| r | ${[...new Set(success.rows.map((r) => `t = ${r.ttl}`))].join(' | ')} |`,
      `|---|${[...new Set(success.rows.map((r) => r.ttl))].map(() => '---|').join('')}`,
      ...[...new Set(success.rows.map((r) => r.replication))].map(
        (rep) =>
          `| ${rep} | ${success.rows
            .filter((r) => r.replication === rep)
            .map((r) => pct(r.successRate))
            .join(' | ')} |`,
      ),
      '',
    );
  }
  if (pings) {
    lines.push(
      `**Ping + Pong share of all descriptors** (${n(pings.size.nodes)} servents, a Ping every ${pings.size.pingIntervalMs / 1000} s each):`,
      '',
      '| one query (network-wide) per | without pong caching | with pong caching |',
      '|---|---|---|',
      ...[...new Set(pings.rows.map((r) => r.queryIntervalMs))].map((iv) => {
        const s = (c) =>
          pct(
            pings.rows.find((r) => r.queryIntervalMs === iv && r.pongCaching === c).pingPongShare,
          );
        return `| ${iv} ms | ${s(false)} | ${s(true)} |`;
      }),
      '',
    );
  }
  return lines.join('\n');
}

function benchSection() {
  const codec = read('codec');
  const routing = read('routing');
  const transfer = read('transfer');
  if (!codec && !routing && !transfer)
    return '(no results yet: run `pnpm --filter @p2pkit/gnutella bench`)';
  const lines = ['| benchmark | result | conditions |', '|---|---|---|'];
  if (codec) {
    const [qe, qd, he, hd] = codec.figures;
    lines.push(
      `| descriptor codec, per CPU-second | Query: ${n(qe.value)} encodes, ${n(qd.value)} decodes; Query Hit (5 results, urns, EQHD): ${n(he.value)} encodes, ${n(hd.value)} decodes | \`${codec.command}\`, ${n(codec.conditions.count)} each, ${when(codec)} |`,
    );
  }
  if (routing) {
    const [q, f, p50, p99] = routing.figures;
    lines.push(
      `| query routing, one ultrapeer, ${routing.conditions.leaves} leaves, ${routing.conditions.peers} peers | ${n(q.value)} queries/s (${n(f.value)} forwarded copies/s); p50 ${p50.value} ms, p99 ${p99.value} ms to the last copy | \`${routing.command}\`, ${n(routing.conditions.queries)} queries, ${when(routing)} |`,
    );
  }
  if (transfer) {
    const [t] = transfer.figures;
    lines.push(
      `| ${transfer.conditions.sizeMiB} MiB HTTP download over loopback | ours ${t.value} MiB/s, curl ${t.peer.value} MiB/s from the same servent: **${t.ratio.toFixed(2)}×** | \`${transfer.command}\`, best of ${transfer.conditions.runs}, ${when(transfer)} |`,
    );
  }
  return lines.join('\n');
}

export function updateReadme() {
  const file = new URL('README.md', pkg);
  let text = readFileSync(file, 'utf8');
  const put = (name, body) => {
    const re = new RegExp(`(<!-- ${name} -->\\n)[\\s\\S]*?(<!-- /${name} -->)`);
    if (!re.test(text)) throw new Error(`README.md has no <!-- ${name} --> markers`);
    text = text.replace(re, (_, open, close) => `${open}${body}\n${close}`);
  };
  put('experiments:table', experimentsSection());
  put('bench:table', benchSection());
  writeFileSync(file, text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) updateReadme();
