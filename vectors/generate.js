#!/usr/bin/env node
'use strict'
// Generates the SHS1 / box-stream test-vector JSON files in this directory.
//
// The JS reference implementation from the npm registry is the oracle:
//   secret-handshake (crypto.js and protocol.js), pull-box-stream, and the
//   op-level vectors shipped in test-secret-handshake (data.json).
// Every value is also recomputed independently (node's own crypto: SHA-256,
// HMAC-SHA-512, X25519, Ed25519) where that is possible, and the script
// aborts on any disagreement.
//
// Everything "random" is derived from sha256(label), so the output is
// byte-identical on every run.
//
// Usage: node vectors/generate.js   (or: cd vectors && node generate.js)

const fs = require('fs')
const path = require('path')
const nodeCrypto = require('crypto')
const util = require('util')

function die (msg) {
  console.error('generate.js: ABORT: ' + msg)
  process.exit(1)
}

function check (cond, msg) {
  if (!cond) die(msg)
}

// ---------------------------------------------------------------------------
// 0. Load the reference packages; refuse chloride's tweetnacl fallback.

if (process.env.CHLORIDE_JS) die('CHLORIDE_JS is set; chloride would use its javascript fallback')

const capturedWarnings = []
const realWarn = console.warn
console.warn = function () {
  capturedWarnings.push(Array.prototype.join.call(arguments, ' '))
  realWarn.apply(console, arguments)
}

// Replace secret-handshake's random.js with a deterministic queue *before*
// protocol.js is loaded, so full handshakes through createClient/createServer
// are reproducible (used as an end-to-end cross-check below).
const randomQueue = []
require('secret-handshake/random')
const randomPath = require.resolve('secret-handshake/random')
require.cache[randomPath].exports = function (bytes) {
  check(bytes === 32, 'secret-handshake asked for ' + bytes + ' random bytes')
  check(randomQueue.length > 0, 'secret-handshake asked for more randomness than queued')
  return Buffer.from(randomQueue.shift())
}

const shsCrypto = require('secret-handshake/crypto')
const shs = require('secret-handshake')
const boxes = require('pull-box-stream')
const pull = require('pull-stream')
const tshDataPath = require.resolve('test-secret-handshake/data.json')

console.warn = realWarn

check(!capturedWarnings.some(w => /falling back|error loading sodium/i.test(w)),
  'chloride fell back to its javascript version: ' + capturedWarnings.join(' | '))

// Every chloride instance that got loaded must be the sodium-native binding.
const chlorideMains = Object.keys(require.cache).filter(p => /[\\/]node_modules[\\/]chloride[\\/]index\.js$/.test(p))
check(chlorideMains.length > 0, 'chloride was not loaded')
for (const p of chlorideMains) {
  const bindings = require.cache[path.join(path.dirname(p), 'bindings.js')]
  check(bindings && require.cache[p].exports === bindings.exports, 'chloride at ' + p + ' is not using its sodium-native bindings')
}
check(Object.keys(require.cache).some(p => /[\\/]node_modules[\\/]sodium-native[\\/]/.test(p)), 'sodium-native was not loaded')
const sodium = require(chlorideMains[0])

function pkgVersion (name) {
  const dir = path.dirname(require.resolve(name + '/package.json'))
  return name + '@' + JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version
}
function nestedPkgVersion (name, from) {
  const p = require.resolve(name + '/package.json', { paths: [path.dirname(require.resolve(from + '/package.json'))] })
  return name + '@' + JSON.parse(fs.readFileSync(p, 'utf8')).version
}
const V = {
  shs: pkgVersion('secret-handshake'),
  pbs: pkgVersion('pull-box-stream'),
  tsh: pkgVersion('test-secret-handshake'),
  ps: pkgVersion('pull-stream'),
  chloride: nestedPkgVersion('chloride', 'secret-handshake'),
  sodiumNative: nestedPkgVersion('sodium-native', 'chloride')
}
const ORACLE = V.shs + ' with ' + V.chloride + ' on ' + V.sodiumNative

// ---------------------------------------------------------------------------
// Small helpers (independent of the reference code).

const hex = b => Buffer.from(b).toString('hex')
const unhex = s => Buffer.from(s, 'hex')
const cat = list => Buffer.concat(list)
const eq = (a, b) => Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)

const sha256 = b => nodeCrypto.createHash('sha256').update(b).digest()
const sha512 = b => nodeCrypto.createHash('sha512').update(b).digest()
const hmac32 = (msg, key) => nodeCrypto.createHmac('sha512', key).update(msg).digest().subarray(0, 32)

// Deterministic "random" bytes: sha256(label ‖ ":" ‖ counter) blocks.
function det (label, n) {
  const out = []
  let len = 0
  for (let i = 0; len < n; i++) {
    const block = sha256(Buffer.from(label + ':' + i, 'utf8'))
    out.push(block)
    len += block.length
  }
  return cat(out).subarray(0, n)
}

const PKCS8_X25519 = unhex('302e020100300506032b656e04220420')
const PKCS8_ED25519 = unhex('302e020100300506032b657004220420')
const SPKI_X25519 = unhex('302a300506032b656e032100')
const SPKI_ED25519 = unhex('302a300506032b6570032100')
const privKey = (prefix, raw) => nodeCrypto.createPrivateKey({ key: cat([prefix, raw]), format: 'der', type: 'pkcs8' })
const pubKey = (prefix, raw) => nodeCrypto.createPublicKey({ key: cat([prefix, raw]), format: 'der', type: 'spki' })
const rawPub = keyObj => nodeCrypto.createPublicKey(keyObj).export({ format: 'der', type: 'spki' }).subarray(-32)

function x25519 (sk, pk) {
  return nodeCrypto.diffieHellman({ privateKey: privKey(PKCS8_X25519, sk), publicKey: pubKey(SPKI_X25519, pk) })
}
const x25519Base = sk => rawPub(privKey(PKCS8_X25519, sk))
const ed25519Pub = seed => rawPub(privKey(PKCS8_ED25519, seed))
const ed25519Sign = (msg, seed) => nodeCrypto.sign(null, msg, privKey(PKCS8_ED25519, seed))
const ed25519Verify = (sig, msg, pk) => nodeCrypto.verify(null, msg, pubKey(SPKI_ED25519, pk), sig)
// libsodium's crypto_sign_ed25519_sk_to_curve25519: clamp(SHA-512(seed)[0..32])
function edSeedToCurve (seed) {
  const h = Buffer.from(sha512(seed).subarray(0, 32))
  h[0] &= 248; h[31] &= 127; h[31] |= 64
  return h
}

// Big-endian 192-bit nonce arithmetic, mod 2^192 (independent of increment-buffer).
const MOD192 = 1n << 192n
const nonceToBig = b => BigInt('0x' + hex(b))
const bigToNonce = n => unhex(((n % MOD192 + MOD192) % MOD192).toString(16).padStart(48, '0'))
const nonceAdd = (nonce, k) => bigToNonce(nonceToBig(nonce) + BigInt(k))

const Z24 = Buffer.alloc(24)

// pull-stream plumbing as promises
function collect (source) {
  return new Promise((resolve, reject) => {
    pull(source, pull.collect((err, items) => err ? reject(err) : resolve(items)))
  })
}

// Outputs are only written once every check has passed.
const pendingOutputs = []
function writeJson (file, obj) {
  pendingOutputs.push([path.join(__dirname, file), JSON.stringify(obj, null, 2) + '\n'])
}

// ---------------------------------------------------------------------------
// 1. test-secret-handshake/data.json: copy verbatim, re-check with crypto.js.

function hexToBuffers (v) {
  // Same convention as the vector file: every string that is non-empty
  // lowercase hex of whole bytes is binary. Returns a deep copy.
  if (typeof v === 'string') return /^([0-9a-f]{2})+$/.test(v) ? Buffer.from(v, 'hex') : v
  if (Array.isArray(v)) return v.map(hexToBuffers)
  if (v && typeof v === 'object') {
    const o = {}
    for (const k of Object.keys(v)) o[k] = hexToBuffers(v[k])
    return o
  }
  return v
}

function checkOpVectors () {
  const raw = fs.readFileSync(tshDataPath, 'utf8')
  const entries = JSON.parse(raw)
  check(Array.isArray(entries), 'data.json is not an array')
  let checked = 0
  let skippedClean = 0
  let cleanConsistent = 0
  const perOp = {}
  entries.forEach((e, i) => {
    check(e && typeof e.name === 'string' && Array.isArray(e.args) && 'result' in e, 'data.json entry ' + i + ' malformed')
    perOp[e.name] = (perOp[e.name] || 0) + 1
    if (e.name === 'clean') {
      // Not replayable (its args snapshot already has the secrets nulled),
      // but its derived session keys must be consistent.
      skippedClean++
      const s = hexToBuffers(e.result)
      check(eq(s.encryptKey, sha256(cat([s.secret, s.remote.publicKey]))), 'clean entry ' + i + ': encryptKey inconsistent')
      check(eq(s.decryptKey, sha256(cat([s.secret, s.local.publicKey]))), 'clean entry ' + i + ': decryptKey inconsistent')
      cleanConsistent++
      return
    }
    const fn = shsCrypto[e.name]
    check(typeof fn === 'function', 'data.json entry ' + i + ': unknown op ' + e.name)
    const args = hexToBuffers(e.args)
    const expected = hexToBuffers(e.result)
    let actual
    try {
      actual = fn.apply(null, args)
    } catch (err) {
      die('data.json entry ' + i + ' (' + e.name + ') threw: ' + err.message)
    }
    check(util.isDeepStrictEqual(actual, expected), 'data.json entry ' + i + ' (' + e.name + ') disagrees with ' + V.shs + ' crypto.js')
    checked++
  })
  writeJson('test-secret-handshake.json', {
    source: 'npm ' + V.tsh + ' data.json (MIT), all entries copied verbatim; every non-clean entry was re-run through ' +
      ORACLE + ' crypto.js by vectors/generate.js and is deep-equal to its result',
    count: entries.length,
    entries: entries
  })
  return { count: entries.length, checked, skippedClean, cleanConsistent, perOp }
}

// ---------------------------------------------------------------------------
// 2. Complete handshakes.

// shs1-crypto@1.0.2 test/test.js, as given in hex in docs/protocol.md §1.
const WORKED = {
  K: '6f619f56130d357342d12054ff8c8f559d4a209a9c5a1db98d13b8ff686b7cc6',
  A_sk: 'f3a806322c4ec0b7d2f1bd24b79a847773542f9720201aed40b445145f855cb0e1a2498849775e54d066e978172ee1f5c64fb00097d046926f175e6519c01e23',
  A_pk: 'e1a2498849775e54d066e978172ee1f5c64fb00097d046926f175e6519c01e23',
  a_sk: '50a9379d868edb987df0aed1e16d2ebc61e0c1bbc63ae2c118ebd5d63137d568',
  a_pk: '4f4f4deefed781c5eb29b9d02f209225ffedd0d7b65cc96a55569d2935a5b120',
  B_sk: '7662114d56743a926354c6a423dc49d5f6e0f2e6af7447da3825d442a30e4ad12abe719910f8bbc3a3c9bbcc56ee42973473a004f4010c4caa81420cca360146',
  B_pk: '2abe719910f8bbc3a3c9bbcc56ee42973473a004f4010c4caa81420cca360146',
  b_sk: 'b0f8d2b9e24ca299ef9039ceda6102d79b05dfbd161c8955e4e95d4fd9cb3f7d',
  b_pk: 'a60c3fdaeb883d63e88ea593585d4fb117948139b318c0ae5a3e285333096152',
  msg1: 'd306149bb2d11e6b01038cf2496574eaf97f83e38e42f0c30d32266007d07cb44f4f4deefed781c5eb29b9d02f209225ffedd0d7b65cc96a55569d2935a5b120',
  msg2: '2c8c4fe31799cacb5128723b38a73fa6c909329800ffe293162b54636bc6c6dba60c3fdaeb883d63e88ea593585d4fb117948139b318c0ae5a3e285333096152',
  msg3: '502218c32ed3eb425b594162891a56c52004998ea01238b40cab7f262c354a4037bc1619a11907f3c8c491f9cfd358b200ceadeabc14fbf0c7a95eb4d42096e28a2c8deb21985bd71f7e3030dcef61e1674fbe38e3678ec37c0a154c420bc20bdc0fa3428ae8e40c82ac0489349f4062',
  msg4: '48725c696d30110e1996f23294463119defeff7cc2905472be94fcbd9f849dad5c0ef7c657e88d53544fe22bc25f0e088ae960287e99cd245fcbc8cadd767e632fd8d1db0385f0d8a6b6b6e2d774b142',
  client_encrypt_key: 'a21d99967be10aadafc9a022beb39e0eb069e8ee614285c2fa94c707229dae18',
  client_encrypt_nonce: '2c8c4fe31799cacb5128723b38a73fa6c909329800ffe293',
  client_decrypt_key: '7d8899076df1ef54e4b08d173a815ae4bc5dbfe0d14393bb2dccb2114de17562',
  client_decrypt_nonce: 'd306149bb2d11e6b01038cf2496574eaf97f83e38e42f0c3'
}

const SSB_MAIN_NET = 'd4a1cb88a66f02f8db635ce26441cc5dac1b08420ceaac230839b755845a9ffb'

function setRawEphemeral (state, sk, pk) {
  check(eq(x25519Base(sk), pk), 'raw ephemeral secret does not match its public key')
  state.local.kx_sk = Buffer.from(sk)
  state.local.kx_pk = Buffer.from(pk)
  state.local.app_mac = sodium.crypto_auth(state.local.kx_pk, state.app_key)
}

// Runs one handshake through secret-handshake's crypto.js in the order that
// protocol.js uses, and returns every intermediate value.
function handshake (spec) {
  const K = spec.K
  const A = shsCrypto.toKeys(spec.clientSeed)
  const B = shsCrypto.toKeys(spec.serverSeed)

  const cs = shsCrypto.initialize({
    app_key: K,
    local: { publicKey: A.publicKey, secretKey: A.secretKey },
    remote: { publicKey: B.publicKey },
    seed: null,
    random: spec.clientRandom || Buffer.alloc(32)
  })
  const ss = shsCrypto.initialize({
    app_key: K,
    local: { publicKey: B.publicKey, secretKey: B.secretKey },
    random: spec.serverRandom || Buffer.alloc(32)
  })
  if (spec.clientEphemeral) setRawEphemeral(cs, spec.clientEphemeral.sk, spec.clientEphemeral.pk)
  if (spec.serverEphemeral) setRawEphemeral(ss, spec.serverEphemeral.sk, spec.serverEphemeral.pk)

  const a_sk = Buffer.from(cs.local.kx_sk); const a_pk = Buffer.from(cs.local.kx_pk)
  const b_sk = Buffer.from(ss.local.kx_sk); const b_pk = Buffer.from(ss.local.kx_pk)

  const msg1 = Buffer.from(shsCrypto.createChallenge(cs))
  check(shsCrypto.verifyChallenge(ss, msg1) === ss, spec.name + ': server rejected msg1')
  const msg2 = Buffer.from(shsCrypto.createChallenge(ss))
  check(shsCrypto.clientVerifyChallenge(cs, msg2) === cs, spec.name + ': client rejected msg2')
  const msg3 = Buffer.from(shsCrypto.clientCreateAuth(cs))
  check(shsCrypto.serverVerifyAuth(ss, msg3) === ss, spec.name + ': server rejected msg3')
  ss.auth = true // what protocol.js does once authorize() accepted
  const msg4 = Buffer.from(shsCrypto.serverCreateAccept(ss))
  check(shsCrypto.clientVerifyAccept(cs, msg4) === cs, spec.name + ': client rejected msg4')

  // Copy the secrets out before clean() zeroes them in place.
  const c = {
    ab: Buffer.from(cs.secret), aB: Buffer.from(cs.a_bob), Ab: Buffer.from(cs.b_alice),
    shash: Buffer.from(cs.shash), key3: Buffer.from(cs.secret2), key4: Buffer.from(cs.secret3),
    hello: Buffer.from(cs.local.hello)
  }
  const s = {
    ab: Buffer.from(ss.secret), aB: Buffer.from(ss.a_bob), Ab: Buffer.from(ss.b_alice),
    shash: Buffer.from(ss.shash), key3: Buffer.from(ss.secret2), key4: Buffer.from(ss.secret3),
    hello: Buffer.from(ss.remote.hello)
  }
  for (const k of Object.keys(c)) check(eq(c[k], s[k]), spec.name + ': client and server disagree on ' + k)
  check(eq(ss.remote.publicKey, A.publicKey), spec.name + ': server learned the wrong client key')

  const acceptPlain = sodium.crypto_secretbox_open_easy(msg4, Z24, c.key4)
  check(acceptPlain && acceptPlain.length === 64, spec.name + ': msg4 does not open under key4')

  shsCrypto.clean(cs)
  shsCrypto.clean(ss)
  // protocol.js secure(): nonces are the first 24 bytes of the app_macs.
  const outcome = st => ({
    encrypt_key: Buffer.from(st.encryptKey),
    encrypt_nonce: Buffer.from(st.remote.app_mac.slice(0, 24)),
    decrypt_key: Buffer.from(st.decryptKey),
    decrypt_nonce: Buffer.from(st.local.app_mac.slice(0, 24))
  })

  return {
    K, A, B, a_sk, a_pk, b_sk, b_pk, msg1, msg2, msg3, msg4, ...c,
    acceptPlain: Buffer.from(acceptPlain),
    client: outcome(cs),
    server: outcome(ss)
  }
}

// Independent recomputation of everything from the keys (node crypto +
// libsodium secretbox), following docs/protocol.md §1.
function crossCheck (name, h, spec) {
  const fail = what => die(name + ': independent check failed: ' + what)
  const Aseed = h.A.secretKey.subarray(0, 32)
  const Bseed = h.B.secretKey.subarray(0, 32)
  if (!eq(ed25519Pub(Aseed), h.A.publicKey) || !eq(ed25519Pub(Bseed), h.B.publicKey)) fail('long-term keys')
  if (!eq(cat([Aseed, h.A.publicKey]), h.A.secretKey) || !eq(cat([Bseed, h.B.publicKey]), h.B.secretKey)) fail('secret key layout')
  if (spec.clientRandom) {
    if (!eq(h.a_sk, edSeedToCurve(spec.clientRandom))) fail('client ephemeral sk from seed')
    if (!eq(h.b_sk, edSeedToCurve(spec.serverRandom))) fail('server ephemeral sk from seed')
  }
  if (!eq(x25519Base(h.a_sk), h.a_pk) || !eq(x25519Base(h.b_sk), h.b_pk)) fail('ephemeral public keys')
  if (!eq(h.msg1, cat([hmac32(h.a_pk, h.K), h.a_pk]))) fail('msg1')
  if (!eq(h.msg2, cat([hmac32(h.b_pk, h.K), h.b_pk]))) fail('msg2')
  if (!eq(h.ab, x25519(h.a_sk, h.b_pk)) || !eq(h.ab, x25519(h.b_sk, h.a_pk))) fail('ab')
  if (!eq(h.aB, x25519(edSeedToCurve(Bseed), h.a_pk))) fail('aB')
  if (!eq(h.Ab, x25519(edSeedToCurve(Aseed), h.b_pk))) fail('Ab')
  if (!eq(h.shash, sha256(h.ab))) fail('shash')
  if (!eq(h.key3, sha256(cat([h.K, h.ab, h.aB])))) fail('key3')
  if (!eq(h.key4, sha256(cat([h.K, h.ab, h.aB, h.Ab])))) fail('key4')
  const sigA = ed25519Sign(cat([h.K, h.B.publicKey, h.shash]), Aseed)
  if (!eq(h.hello, cat([sigA, h.A.publicKey]))) fail('client auth plaintext')
  if (!eq(h.msg3, sodium.crypto_secretbox_easy(h.hello, Z24, h.key3))) fail('msg3')
  const sigB = ed25519Sign(cat([h.K, h.hello, h.shash]), Bseed)
  if (!eq(h.acceptPlain, sigB)) fail('server accept plaintext')
  if (!ed25519Verify(sigB, cat([h.K, h.hello, h.shash]), h.B.publicKey)) fail('sig_B verify')
  if (!eq(h.msg4, sodium.crypto_secretbox_easy(sigB, Z24, h.key4))) fail('msg4')
  if (h.msg1.length !== 64 || h.msg2.length !== 64 || h.msg3.length !== 112 || h.msg4.length !== 80) fail('message lengths')
  const S = sha256(h.key4)
  const toB = sha256(cat([S, h.B.publicKey]))
  const toA = sha256(cat([S, h.A.publicKey]))
  const want = {
    client: { encrypt_key: toB, encrypt_nonce: h.msg2.subarray(0, 24), decrypt_key: toA, decrypt_nonce: h.msg1.subarray(0, 24) },
    server: { encrypt_key: toA, encrypt_nonce: h.msg1.subarray(0, 24), decrypt_key: toB, decrypt_nonce: h.msg2.subarray(0, 24) }
  }
  for (const side of ['client', 'server']) {
    for (const f of Object.keys(want[side])) if (!eq(h[side][f], want[side][f])) fail(side + ' ' + f)
  }
  if (!eq(h.client.encrypt_key, h.server.decrypt_key) || !eq(h.client.encrypt_nonce, h.server.decrypt_nonce) ||
      !eq(h.client.decrypt_key, h.server.encrypt_key) || !eq(h.client.decrypt_nonce, h.server.encrypt_nonce)) fail('outcomes do not pair up')
}

function checkWorked (h) {
  const W = WORKED
  const pairs = [
    ['K', h.K], ['A_sk', h.A.secretKey], ['A_pk', h.A.publicKey], ['B_sk', h.B.secretKey], ['B_pk', h.B.publicKey],
    ['a_sk', h.a_sk], ['a_pk', h.a_pk], ['b_sk', h.b_sk], ['b_pk', h.b_pk],
    ['msg1', h.msg1], ['msg2', h.msg2], ['msg3', h.msg3], ['msg4', h.msg4],
    ['client_encrypt_key', h.client.encrypt_key], ['client_encrypt_nonce', h.client.encrypt_nonce],
    ['client_decrypt_key', h.client.decrypt_key], ['client_decrypt_nonce', h.client.decrypt_nonce]
  ]
  for (const [k, v] of pairs) check(hex(v) === W[k], 'worked vector mismatch on ' + k + ': got ' + hex(v) + ', protocol.md has ' + W[k])
  return pairs.length
}

// Full handshake through protocol.js (createClient/createServer), with
// random.js fed the same seeds; the bytes on the wire and the resulting
// crypto must equal what the op-level run produced, and a message must make
// it through the box-streams in both directions.
function endToEnd (spec, h) {
  return new Promise((resolve, reject) => {
    randomQueue.length = 0
    randomQueue.push(spec.clientRandom, spec.serverRandom)
    const c2s = []; const s2c = []
    let cStream = null; let sStream = null
    const client = shs.createClient({ publicKey: h.A.publicKey, secretKey: h.A.secretKey }, h.K, 10e3)
    const server = shs.createServer({ publicKey: h.B.publicKey, secretKey: h.B.secretKey }, (pk, cb) => cb(null, true), h.K, 10e3)
    const cDuplex = client(h.B.publicKey, (err, st) => { if (err) return reject(err); cStream = st; maybeTalk() })
    const sDuplex = server((err, st) => { if (err) return reject(err); sStream = st; maybeTalk() })
    check(randomQueue.length === 0, spec.name + ': protocol.js did not consume the queued seeds')
    pull(cDuplex.source, pull.through(b => { c2s.push(Buffer.from(b)) }), sDuplex.sink)
    pull(sDuplex.source, pull.through(b => { s2c.push(Buffer.from(b)) }), cDuplex.sink)

    function maybeTalk () {
      if (!cStream || !sStream) return
      const ping = Buffer.from('ping from client: ' + spec.name)
      const pong = Buffer.from('pong from server: ' + spec.name)
      Promise.all([
        collect(pull(sStream.source)),
        collect(pull(cStream.source)),
        new Promise(resolve => { pull(pull.values([ping]), cStream.sink); resolve() }),
        new Promise(resolve => { pull(pull.values([pong]), sStream.sink); resolve() })
      ]).then(([atServer, atClient]) => {
        const cw = cat(c2s); const sw = cat(s2c)
        check(eq(cw.subarray(0, 176), cat([h.msg1, h.msg3])), spec.name + ': protocol.js client wire differs')
        check(eq(sw.subarray(0, 144), cat([h.msg2, h.msg4])), spec.name + ': protocol.js server wire differs')
        check(eq(cStream.crypto.encryptKey, h.client.encrypt_key) && eq(cStream.crypto.encryptNonce, h.client.encrypt_nonce) &&
          eq(cStream.crypto.decryptKey, h.client.decrypt_key) && eq(cStream.crypto.decryptNonce, h.client.decrypt_nonce),
        spec.name + ': protocol.js client crypto differs')
        check(eq(sStream.crypto.encryptKey, h.server.encrypt_key) && eq(sStream.crypto.encryptNonce, h.server.encrypt_nonce) &&
          eq(sStream.crypto.decryptKey, h.server.decrypt_key) && eq(sStream.crypto.decryptNonce, h.server.decrypt_nonce),
        spec.name + ': protocol.js server crypto differs')
        check(eq(cStream.remote, h.B.publicKey) && eq(sStream.remote, h.A.publicKey), spec.name + ': stream.remote wrong')
        check(eq(cat(atServer), ping) && eq(cat(atClient), pong), spec.name + ': box-stream payload did not round-trip')
        resolve()
      }, reject)
    }
  })
}

async function makeHandshakes () {
  const specs = []
  specs.push({
    name: 'shs1-crypto-worked-vector',
    K: unhex(WORKED.K),
    clientSeed: unhex(WORKED.A_sk).subarray(0, 32),
    serverSeed: unhex(WORKED.B_sk).subarray(0, 32),
    clientRandom: null,
    serverRandom: null,
    clientEphemeral: { sk: unhex(WORKED.a_sk), pk: unhex(WORKED.a_pk) },
    serverEphemeral: { sk: unhex(WORKED.b_sk), pk: unhex(WORKED.b_pk) }
  })
  for (let i = 1; i <= 7; i++) {
    const label = 'shs1-vectors/handshake/' + i + '/'
    specs.push({
      name: i <= 2 ? 'ssb-main-net-' + i : 'derived-' + i,
      K: i <= 2 ? unhex(SSB_MAIN_NET) : det(label + 'network-key', 32),
      clientSeed: det(label + 'client-longterm-seed', 32),
      serverSeed: det(label + 'server-longterm-seed', 32),
      clientRandom: det(label + 'client-ephemeral-seed', 32),
      serverRandom: det(label + 'server-ephemeral-seed', 32)
    })
  }

  const cases = []
  let workedChecks = 0
  let e2e = 0
  for (const spec of specs) {
    const h = handshake(spec)
    crossCheck(spec.name, h, spec)
    if (spec.clientEphemeral) workedChecks = checkWorked(h)
    else { await endToEnd(spec, h); e2e++ }
    const oc = o => ({ encrypt_key: hex(o.encrypt_key), encrypt_nonce: hex(o.encrypt_nonce), decrypt_key: hex(o.decrypt_key), decrypt_nonce: hex(o.decrypt_nonce) })
    cases.push({
      name: spec.name,
      network_key: hex(h.K),
      client_longterm_pk: hex(h.A.publicKey),
      client_longterm_sk: hex(h.A.secretKey),
      server_longterm_pk: hex(h.B.publicKey),
      server_longterm_sk: hex(h.B.secretKey),
      client_ephemeral_pk: hex(h.a_pk),
      client_ephemeral_sk: hex(h.a_sk),
      server_ephemeral_pk: hex(h.b_pk),
      server_ephemeral_sk: hex(h.b_sk),
      client_ephemeral_seed: spec.clientRandom ? hex(spec.clientRandom) : null,
      server_ephemeral_seed: spec.serverRandom ? hex(spec.serverRandom) : null,
      msg1: hex(h.msg1),
      msg2: hex(h.msg2),
      msg3: hex(h.msg3),
      msg4: hex(h.msg4),
      ab: hex(h.ab),
      aB: hex(h.aB),
      Ab: hex(h.Ab),
      shash: hex(h.shash),
      key3: hex(h.key3),
      key4: hex(h.key4),
      client_auth_plaintext: hex(h.hello),
      server_accept_plaintext: hex(h.acceptPlain),
      client_outcome: oc(h.client),
      server_outcome: oc(h.server)
    })
  }
  writeJson('handshakes.json', {
    source: 'generated by vectors/generate.js with ' + ORACLE + ' (crypto.js) as the oracle (ops called in protocol.js order; ' +
      'derived cases also run end to end through protocol.js createClient/createServer); case 0 is the shs1-crypto@1.0.2 test vector ' +
      '(raw X25519 ephemeral keys); every value also recomputed with node crypto',
    cases
  })
  return { count: cases.length, workedChecks, e2e }
}

// ---------------------------------------------------------------------------
// 3. Box-stream.

// Independent model of the framing in docs/protocol.md §2.
function modelBoxStream (key, nonce, writes) {
  const out = []
  let n = Buffer.from(nonce)
  for (const w of writes) {
    for (let off = 0; off < w.length; off += 4096) {
      const m = w.subarray(off, Math.min(off + 4096, w.length))
      const body = sodium.crypto_secretbox_easy(m, nonceAdd(n, 1), key)
      const hdr = Buffer.alloc(18)
      hdr.writeUInt16BE(m.length, 0)
      body.copy(hdr, 2, 0, 16)
      out.push(sodium.crypto_secretbox_easy(hdr, n, key), body.subarray(16))
      n = nonceAdd(n, 2)
    }
  }
  out.push(sodium.crypto_secretbox_easy(Buffer.alloc(18), n, key))
  return { chunks: out, goodbyeNonce: n }
}

function rechunk (buf, size) {
  const out = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

// A pull-stream source that answers asynchronously (avoids deep recursion in
// pull-reader when the wire is fed in tiny pieces).
function asyncValues (items) {
  let i = 0
  return function (abort, cb) {
    if (abort) return cb(abort)
    setImmediate(() => i < items.length ? cb(null, items[i++]) : cb(true))
  }
}

async function boxCase (name, key, nonce, writes, expect) {
  const wireChunks = (await collect(pull(pull.values(writes.map(w => Buffer.from(w))), boxes.createBoxStream(Buffer.from(key), Buffer.from(nonce)))))
    .map(b => Buffer.from(b))
  const wire = cat(wireChunks)
  const model = modelBoxStream(key, nonce, writes)
  check(model.chunks.length === wireChunks.length && model.chunks.every((c, i) => eq(c, wireChunks[i])),
    name + ': pull-box-stream output differs from the docs/protocol.md §2 model')

  const unbox = async chunks => (await collect(pull(asyncValues(chunks), boxes.createUnboxStream(Buffer.from(key), Buffer.from(nonce)))))
    .map(b => Buffer.from(b))
  const decrypted = await unbox([wire])
  for (const feed of [wireChunks, rechunk(wire, 7), rechunk(wire, 1)]) {
    const again = await unbox(feed)
    check(again.length === decrypted.length && again.every((m, i) => eq(m, decrypted[i])), name + ': unbox result depends on chunking')
  }
  check(eq(cat(decrypted), cat(writes)), name + ': decrypted messages do not concatenate to the writes')
  const frames = writes.reduce((a, w) => a + Math.ceil(w.length / 4096), 0)
  check(decrypted.length === frames && wireChunks.length === 2 * frames + 1, name + ': unexpected frame count')
  const goodbye = wireChunks[wireChunks.length - 1]
  const gb = sodium.crypto_secretbox_open_easy(goodbye, model.goodbyeNonce, key)
  check(goodbye.length === 34 && gb && eq(gb, Buffer.alloc(18)), name + ': goodbye frame wrong')
  check(eq(model.goodbyeNonce, nonceAdd(nonce, 2 * frames)), name + ': goodbye nonce arithmetic')
  if (expect) {
    const got = wireChunks.map(hex)
    check(got.length === expect.length && got.every((c, i) => c === expect[i]), name + ': differs from box-stream-c test.c vector')
  }
  return {
    name,
    key: hex(key),
    nonce: hex(nonce),
    writes: writes.map(hex),
    wire_chunks: wireChunks.map(hex),
    wire: hex(wire),
    decrypted_messages: decrypted.map(hex),
    goodbye_nonce: hex(model.goodbyeNonce)
  }
}

async function makeBoxStreams () {
  const key0 = unhex('a21d99967be10aadafc9a022beb39e0eb069e8ee614285c2fa94c707229dae18')
  const nonce0 = unhex('2c8c4fe31799cacb5128723b38a73fa6c909329800ffe293')
  // sunrise-choir/box-stream-c src/test.c (header1, packet1, header2, packet2, final header), in hex.
  const boxStreamC = [
    'b51c6a75e2ba71ce8799fa36dde1b2d390be0e6666f67636c322aeb6be2d813060c1',
    'e7ea50c371ad059e',
    'e3e6f9e6b0aa3122dc1d9c76e1f30703a3c57de1f06fc37ef094c9ed9e9e86e0f689',
    '16868dbf1371d372',
    '0a30546f676723a2af4ebd3af0fac4e2c2c5574977ae817ce11e031a25dd57d5997b'
  ]
  const k = n => det('shs1-vectors/boxstream/' + n + '/key', 32)
  const nn = n => det('shs1-vectors/boxstream/' + n + '/nonce', 24)
  const p = (n, i, len) => det('shs1-vectors/boxstream/' + n + '/write/' + i, len)
  const defs = [
    ['box-stream-c', key0, nonce0, [unhex('0001020304050607'), unhex('0706050403020100')], boxStreamC],
    ['empty-session', k('empty-session'), nn('empty-session'), []],
    ['empty-write', k('empty-write'), nn('empty-write'), [Buffer.alloc(0)]],
    ['write-4096', k('write-4096'), nn('write-4096'), [p('write-4096', 0, 4096)]],
    ['write-4097', k('write-4097'), nn('write-4097'), [p('write-4097', 0, 4097)]],
    ['write-4100', k('write-4100'), nn('write-4100'), [p('write-4100', 0, 4100)]],
    ['write-65536', k('write-65536'), nn('write-65536'), [p('write-65536', 0, 65536)]],
    ['several-writes', k('several-writes'), nn('several-writes'), [1, 100, 4096, 5000, 3].map((len, i) => p('several-writes', i, len))],
    ['nonce-wrap', k('nonce-wrap'), unhex('ff'.repeat(23) + 'fe'), [5, 6, 7].map((len, i) => p('nonce-wrap', i, len))]
  ]
  const cases = []
  for (const [name, key, nonce, writes, expect] of defs) cases.push(await boxCase(name, key, nonce, writes, expect))
  // nonce-wrap must actually have wrapped: body nonce of frame 0 is ff..ff, header of frame 1 is 00..00.
  const wrap = cases.find(c => c.name === 'nonce-wrap')
  check(wrap.goodbye_nonce === '00'.repeat(23) + '04', 'nonce-wrap did not wrap as expected')
  writeJson('boxstream.json', {
    source: 'generated by vectors/generate.js with npm ' + V.pbs + ' createBoxStream/createUnboxStream (' + V.chloride + ' on ' +
      V.sodiumNative + ', ' + V.ps + ') as the oracle; each source ends normally, so a goodbye is sent; box-stream-c also checked ' +
      'against sunrise-choir/box-stream-c src/test.c',
    cases
  })
  return { count: cases.length, names: cases.map(c => c.name) }
}

// ---------------------------------------------------------------------------

async function main () {
  const ops = checkOpVectors()
  const hs = await makeHandshakes()
  const bs = await makeBoxStreams()
  for (const [file, text] of pendingOutputs) fs.writeFileSync(file, text)
  console.log('oracle: ' + ORACLE + ', ' + V.pbs + ', ' + V.ps + ' (sodium-native loaded, no javascript fallback)')
  console.log('test-secret-handshake.json: ' + ops.count + ' entries (' + V.tsh + '); ' + ops.checked +
    ' non-clean entries re-run through crypto.js, all deep-equal; ' + ops.cleanConsistent + ' clean entries checked for key consistency')
  console.log('  per op: ' + Object.keys(ops.perOp).map(k => k + '=' + ops.perOp[k]).join(' '))
  console.log('handshakes.json: ' + hs.count + ' cases; worked vector matched protocol.md on ' + hs.workedChecks +
    ' values; ' + hs.e2e + ' cases also run end to end through protocol.js')
  console.log('boxstream.json: ' + bs.count + ' cases (' + bs.names.join(', ') + ')')
}

main().then(() => process.exit(0), err => die(err && err.stack ? err.stack : String(err)))
