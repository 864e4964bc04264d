// A client library nobody here wrote (npm `etcd3`, over @grpc/grpc-js) drives `etcdplay serve`:
// put/get, prefixes and deletes, a txn both ways, a watch that sees a put and a delete with prev_kv,
// a lease with an attached key (kept alive, then revoked), the member list and a compacted read.
//
// Usage: node tests/wire/client-etcd3.mjs ETCDPLAY_BIN   (run `npm ci` in tests/wire first)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';

const bin = process.argv[2];
if (!bin) {
  console.error('usage: node tests/wire/client-etcd3.mjs ETCDPLAY_BIN');
  process.exit(2);
}
const members = [1, 2, 3].map((i) => ({ name: `c${i}`, client: `http://127.0.0.1:2559${i}`, peer: `http://127.0.0.1:2569${i}` }));
const serve = spawn(bin, [
  'serve',
  '--no-page',
  '--initial-cluster', members.map((m) => `${m.name}=${m.peer}`).join(','),
  '--client-urls', members.map((m) => `${m.name}=${m.client}`).join(','),
  '--initial-cluster-token', 'client-test',
], { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
serve.stdout.on('data', (d) => { out += d; });
while (!out.includes('ready')) await once(serve.stdout, 'data');

const client = new Etcd3({ hosts: members.map((m) => m.client) });
let checks = 0;
const check = (what, actual, expected) => {
  assert.deepEqual(actual, expected, what);
  checks++;
};

try {
  await client.put('greeting').value('hello');
  check('get after put', await client.get('greeting').string(), 'hello');
  await client.put('fruit/apple').value('red');
  await client.put('fruit/banana').value('yellow');
  check('prefix get', await client.getAll().prefix('fruit/').strings(), { 'fruit/apple': 'red', 'fruit/banana': 'yellow' });
  check('count', await client.getAll().prefix('fruit/').count(), 2);

  const yes = await client.if('greeting', 'Value', '==', 'hello').then(client.put('greeting').value('hi')).else(client.get('greeting')).commit();
  check('txn took the success branch', yes.succeeded, true);
  check('txn wrote', await client.get('greeting').string(), 'hi');
  const no = await client.if('greeting', 'Value', '==', 'hello').then(client.put('greeting').value('never')).commit();
  check('txn took the failure branch', no.succeeded, false);

  const watcher = await client.watch().key('watched').withPreviousKV().create();
  const seen = [];
  watcher.on('put', (kv, prev) => seen.push(['put', kv.value.toString(), prev ? prev.value.toString() : null]));
  watcher.on('delete', (kv, prev) => seen.push(['delete', prev ? prev.value.toString() : null]));
  await client.put('watched').value('one');
  await client.put('watched').value('two');
  await client.delete().key('watched');
  for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  check('watch events with prev_kv', seen, [['put', 'one', null], ['put', 'two', 'one'], ['delete', 'two']]);
  await watcher.cancel();

  const lease = client.lease(5);
  await lease.put('leased').value('x');
  const id = await lease.grant();
  check('leased key', await client.get('leased').string(), 'x');
  await new Promise((r) => setTimeout(r, 6500)); // past the TTL: the library's keep-alives hold it
  check('leased key outlives its TTL while kept alive', await client.get('leased').string(), 'x');
  await lease.revoke();
  check('revoked lease takes its key', await client.get('leased').string(), null);
  check('lease ID is a 64-bit hex', /^[0-9a-f]+$/.test(BigInt(id).toString(16)), true);

  const list = await client.cluster.memberList({});
  check('member list', list.members.map((m) => m.name).sort(), ['c1', 'c2', 'c3']);
  check('client URLs advertised', list.members.map((m) => m.clientURLs[0]).sort(), members.map((m) => m.client));

  await client.delete().all();
  check('delete all', await client.getAll().count(), 0);

  const put = await client.put('old').value('1').exec();
  await client.put('old').value('2');
  const rev = Number(put.header.revision);
  await client.kv.compact({ revision: String(rev + 1) });
  await assert.rejects(client.get('old').revision(rev).string(), /compacted/, 'read at a compacted revision');
  checks++;
  console.log(`client-etcd3: ${checks} checks passed against etcdplay serve`);
} finally {
  client.close();
  serve.kill('SIGTERM');
}
