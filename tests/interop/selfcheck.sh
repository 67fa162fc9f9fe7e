#!/usr/bin/env bash
# JS <-> JS self-check of peer.js (the JS reference peer used by the Rust
# interop tests). Runs from any cwd. Installs node_modules with `npm ci` if
# they are missing. Exits non-zero if any check fails.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -d "$DIR/node_modules/secret-handshake" ]; then
  (cd "$DIR" && npm ci --no-audit --no-fund >&2)
fi
exec node - "$DIR/peer.js" <<'EOF'
'use strict'
const { spawn } = require('child_process')
const crypto = require('crypto')
const net = require('net')
const PEER = process.argv[2]

const hex = (n = 32) => crypto.randomBytes(n).toString('hex')
// Ed25519 public key of a 32-byte seed, computed with node's own crypto
// (independent of libsodium): same as crypto_sign_seed_keypair(seed).pk
function edPk (seedHex) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')])
  const jwk = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' })
  return Buffer.from(jwk.x, 'base64url').toString('hex')
}
const MiB8 = 8 * 1024 * 1024

// Run peer.js with a config; resolves with {lines, code, ms, times}.
// onLine(obj, child) is called for every stdout JSON line.
function run (cfg, onLine) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, [PEER, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines = []
    const times = []
    let buf = ''
    let err = ''
    child.stdout.on('data', d => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        let obj
        try { obj = JSON.parse(line) } catch (e) { return reject(new Error('non-JSON stdout line: ' + line)) }
        lines.push(obj)
        times.push(Number(process.hrtime.bigint() - t0) / 1e6)
        if (onLine) onLine(obj, child)
      }
    })
    child.stderr.on('data', d => { err += d })
    child.on('close', (code, signal) => {
      if (buf) return reject(new Error('unterminated stdout: ' + buf))
      resolve({ lines, times, code, signal, stderr: err, ms: Number(process.hrtime.bigint() - t0) / 1e6 })
    })
    child.on('error', reject)
  })
}

// Start a server peer, wait for "listening", run a client against it.
async function pair (srvCfg, cliCfgFn, opts = {}) {
  let listening
  const got = new Promise(resolve => { listening = resolve })
  const srvP = run(Object.assign({ role: 'server' }, srvCfg), (obj, child) => {
    if (obj.event === 'listening') listening(obj)
    if (opts.onServerLine) opts.onServerLine(obj, child)
  })
  const first = await Promise.race([got, srvP.then(r => { throw new Error('server exited early: ' + JSON.stringify(r)) })])
  const cliCfg = Object.assign({ role: 'client', port: first.port, server_pk: first.public_key }, cliCfgFn(first))
  const [srv, cli] = await Promise.all([srvP, run(cliCfg)])
  return { srv, cli, listening: first }
}

let passed = 0
let failed = 0
function check (name, cond, detail) {
  if (cond) { passed++; console.log('ok   ' + name) } else { failed++; console.log('FAIL ' + name + (detail ? '\n     ' + detail : '')) }
}
const last = r => r.lines[r.lines.length - 1]
const dump = p => 'server: ' + JSON.stringify(p.srv.lines) + ' rc=' + p.srv.code + ' ' + p.srv.stderr +
  '\n     client: ' + JSON.stringify(p.cli.lines) + ' rc=' + p.cli.code + ' ' + p.cli.stderr

function expectShape (name, r, events) {
  const evs = r.lines.map(l => l.event).join(',')
  check(name + ': events ' + events.join(','), evs === events.join(',') && r.code === 0, 'got ' + evs + ' rc=' + r.code + ' ' + r.stderr)
}

async function transfer (name, cs, ss, cEnd, sEnd) {
  const K = hex(); const sSeed = hex(); const cSeed = hex()
  const p = await pair(
    { network_key: K, seed: sSeed, send_bytes: ss, end: sEnd },
    () => ({ network_key: K, seed: cSeed, send_bytes: cs, end: cEnd }))
  expectShape(name + ' server', p.srv, ['listening', 'connected', 'done'])
  expectShape(name + ' client', p.cli, ['connected', 'done'])
  const sd = last(p.srv); const cd = last(p.cli)
  if (sd.event !== 'done' || cd.event !== 'done') return check(name + ': done', false, dump(p))
  check(name + ': remotes', p.cli.lines[0].remote === p.listening.public_key &&
    p.listening.public_key === edPk(sSeed) && p.srv.lines[1].remote === edPk(cSeed), dump(p))
  check(name + ': client->server bytes/hash',
    cd.sent_bytes === cs && sd.received_bytes === cs && cd.sent_sha256 === sd.received_sha256, dump(p))
  check(name + ': server->client bytes/hash',
    sd.sent_bytes === ss && cd.received_bytes === ss && sd.sent_sha256 === cd.received_sha256, dump(p))
  check(name + ': both ended with goodbye',
    sd.end === 'goodbye' && cd.end === 'goodbye' && sd.error === null && cd.error === null &&
    sd.sink_error === null && cd.sink_error === null, dump(p))
  const ms = (r) => (r.times[r.times.length - 1] - r.times[r.lines.findIndex(l => l.event === 'connected')]).toFixed(0)
  return { p, clientMs: ms(p.cli), serverMs: ms(p.srv) }
}

async function main () {
  const sizes = [0, 1, 4097, MiB8]
  for (const s of sizes) {
    await transfer(`both send ${s}`, s, s, 'after_send', 'after_send')
  }
  await transfer('client 0 / server 8MiB', 0, MiB8, 'after_send', 'after_send')
  await transfer('client 8MiB / server 0', MiB8, 0, 'after_send', 'after_send')
  await transfer('client 4097 / server 1', 4097, 1, 'after_send', 'after_send')
  // ending started from one side only
  for (const s of [0, 4097, MiB8]) {
    await transfer(`client ends first (${s})`, s, s, 'after_send', 'after_peer_end')
    await transfer(`server ends first (${s})`, s, s, 'after_peer_end', 'after_send')
  }
  await transfer('client ends first, sends nothing, server 8MiB', 0, MiB8, 'after_send', 'after_peer_end')
  await transfer('server ends first, sends nothing, client 8MiB', MiB8, 0, 'after_peer_end', 'after_send')

  // timing of 8 MiB one way each
  for (const [label, cs, ss] of [['client->server', MiB8, 0], ['server->client', 0, MiB8], ['both ways at once', MiB8, MiB8]]) {
    const t = await transfer(`timing 8MiB ${label}`, cs, ss, 'after_send', 'after_send')
    console.log(`     8 MiB ${label}: connected->done client ${t.clientMs} ms, server ${t.serverMs} ms`)
  }

  // handshake failures
  async function failing (name, srvExtra, cliExtra, srvMsg, cliMsg) {
    const K = hex()
    const p = await pair(Object.assign({ network_key: K, seed: hex() }, srvExtra),
      (l) => Object.assign({ network_key: K, seed: hex() }, cliExtra))
    expectShape(name + ' server', p.srv, ['listening', 'handshake_failed'])
    expectShape(name + ' client', p.cli, ['handshake_failed'])
    const se = last(p.srv).error; const ce = last(p.cli).error
    check(name + ': server error text', typeof se === 'string' && se.startsWith(srvMsg), 'got ' + JSON.stringify(se))
    check(name + ': client error text', typeof ce === 'string' && ce.startsWith(cliMsg), 'got ' + JSON.stringify(ce))
    console.log('     server: ' + JSON.stringify(se) + '\n     client: ' + JSON.stringify(ce))
  }
  const HUNG_UP = 'shs.client: server hung up when we sent hello (phase 3)'
  await failing('authorize reject', { authorize: 'reject' }, {},
    'shs.server: we did not authorize the client (phase 4)', HUNG_UP)
  await failing('authorize error', { authorize: 'error' }, {}, 'nope', HUNG_UP)
  await failing('authorize allow:<other key>', { authorize: 'allow:' + edPk(hex()) }, {},
    'shs.server: we did not authorize the client (phase 4)', HUNG_UP)
  await failing('wrong network key', {}, { network_key: hex() },
    'shs.server: client sent invalid challenge (phase 1)',
    'shs.client: error when expecting server to accept challenge (phase 1)')
  await failing('wrong server key (valid ed25519 key)', {}, { server_pk: edPk(hex()) },
    'shs.server: client hello invalid (phase 3)', HUNG_UP)
  // 32 bytes that are not a valid ed25519 point: y = 2 does not decompress.
  await failing('wrong server key (not a curve point)', {}, { server_pk: '02' + '00'.repeat(31) },
    '', 'shs.client: server responded with invalid challenge (phase 2)')

  // seed identity (invite-style client): server only admits that identity
  {
    const K = hex(); const idSeed = hex()
    const p = await pair({ network_key: K, seed: hex(), authorize: 'allow:' + edPk(idSeed), send_bytes: 4097 },
      () => ({ network_key: K, seed_identity: idSeed, send_bytes: 1 }))
    expectShape('seed identity server', p.srv, ['listening', 'connected', 'done'])
    expectShape('seed identity client', p.cli, ['connected', 'done'])
    check('seed identity: server sees pk of seed_identity', p.srv.lines[1] && p.srv.lines[1].remote === edPk(idSeed), dump(p))
    check('seed identity: data both ways', last(p.cli).received_sha256 === last(p.srv).sent_sha256 &&
      last(p.srv).received_sha256 === last(p.cli).sent_sha256 && last(p.cli).end === 'goodbye', dump(p))
    const q = await pair({ network_key: K, seed: hex(), authorize: 'allow:' + edPk(idSeed) },
      () => ({ network_key: K, seed: idSeed, seed_identity: hex() }))
    check('seed identity overrides seed', last(q.srv).event === 'handshake_failed' && last(q.cli).event === 'handshake_failed', dump(q))
  }

  // peer dies mid-stream: the survivor's source ends with an error
  {
    const K = hex()
    const p = await pair({ network_key: K, seed: hex(), send_bytes: 64 * MiB8, end: 'after_peer_end' },
      () => ({ network_key: K, seed: hex(), send_bytes: 0, end: 'after_peer_end' }),
      { onServerLine: (obj, child) => { if (obj.event === 'connected') setTimeout(() => child.kill('SIGKILL'), 200) } })
    const cd = last(p.cli)
    check('peer killed: server was killed', p.srv.signal === 'SIGKILL', dump(p))
    expectShape('peer killed client', p.cli, ['connected', 'done'])
    check('peer killed: client end=error', cd.end === 'error' && typeof cd.error === 'string', dump(p))
    console.log('     client: ' + JSON.stringify(cd))
  }

  // handshake timeouts against a silent TCP peer
  {
    const silent = net.createServer(s => { s.on('error', () => {}); setTimeout(() => s.destroy(), 3000) })
    await new Promise(resolve => silent.listen(0, '127.0.0.1', resolve))
    const t0 = Date.now()
    const r = await run({ role: 'client', network_key: hex(), seed: hex(), port: silent.address().port, server_pk: edPk(hex()), timeout_ms: 300 })
    const ms = Date.now() - t0
    silent.close()
    expectShape('client handshake timeout', r, ['handshake_failed'])
    check('client handshake timeout: within ~timeout_ms', ms < 2500, ms + ' ms')
    console.log('     client: ' + JSON.stringify(last(r).error) + ` (${ms} ms incl. node start-up)`)
  }
  {
    let sock
    const srvP = run({ role: 'server', network_key: hex(), seed: hex(), timeout_ms: 300 }, (obj) => {
      if (obj.event === 'listening') { sock = net.connect(obj.port, '127.0.0.1'); sock.on('error', () => {}) }
    })
    const r = await srvP
    sock.destroy()
    expectShape('server handshake timeout', r, ['listening', 'handshake_failed'])
    console.log('     server: ' + JSON.stringify(last(r).error))
  }

  // client that connects to nothing
  {
    const tmp = net.createServer()
    await new Promise(resolve => tmp.listen(0, '127.0.0.1', resolve))
    const port = tmp.address().port
    await new Promise(resolve => tmp.close(resolve))
    const r = await run({ role: 'client', network_key: hex(), seed: hex(), port, server_pk: edPk(hex()) })
    expectShape('connection refused', r, ['connect_failed'])
  }

  // both sides waiting for the other's goodbye: deadlock, caught by the
  // self-destruct timer (client's fires first; the server then sees an error end)
  {
    const K = hex()
    const p = await pair({ network_key: K, seed: hex(), end: 'after_peer_end', harness_timeout_ms: 4000 },
      () => ({ network_key: K, seed: hex(), end: 'after_peer_end', harness_timeout_ms: 1000 }))
    check('both after_peer_end: client harness_timeout, exit 3',
      last(p.cli).event === 'harness_timeout' && p.cli.code === 3, dump(p))
    check('both after_peer_end: server then ends with error, exit 0',
      last(p.srv).event === 'done' && last(p.srv).end === 'error' && p.srv.code === 0, dump(p))
    console.log('     server: ' + JSON.stringify(last(p.srv).error))
  }

  // bad arguments are harness bugs: exit 1 with a message on stderr
  {
    const r = await run({ role: 'nope' })
    check('bad config -> exit 1, stderr message', r.code === 1 && r.lines.length === 0 && /role/.test(r.stderr), JSON.stringify(r))
  }
}

main().then(() => {
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}, err => {
  console.error(err)
  process.exit(2)
})
EOF
