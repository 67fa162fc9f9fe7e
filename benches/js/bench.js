#!/usr/bin/env node
'use strict'
// The JS reference (secret-handshake@1.1.21, pull-box-stream@1.0.13) measured on this machine,
// for comparison with the Rust crate's criterion benches (see BENCHMARKS.md).
//
//   cd benches/js && npm ci && node bench.js [--quick]
//
// Measures, each as the median of several rounds:
//   * full handshakes per second: client + server in memory (a pull-stream duplex pair),
//     fresh ephemeral keys each time, authorizer accepting everyone;
//   * box + unbox throughput on 4096-byte chunks (pull-box-stream's maximum frame body);
//   * the raw limit beside it: chloride crypto_secretbox_easy + open_easy on 4096 bytes.
// Prints a table and writes the figures to target/js-bench.json (read by the Rust benches'
// summaries, which then print the ratios to the JS reference).

var fs = require('fs')
var path = require('path')
var os = require('os')
var nodeCrypto = require('crypto')

var pull = require('pull-stream')
var boxes = require('pull-box-stream')
var shs = require('secret-handshake')
var sodium = require('chloride')

var quick = process.argv.indexOf('--quick') >= 0
var ROUNDS = quick ? 3 : 7

// Which libsodium backend chloride picked: the native binding (sodium-native) or a JS/wasm
// fallback. The reference is only fast with the native one.
var backend
try {
  require('chloride/bindings')
  backend = 'sodium-native ' + require('sodium-native/package.json').version + ' (native libsodium)'
} catch (err) {
  backend = 'JS fallback (' + err.message + ')'
}

function median (xs) {
  var s = xs.slice().sort(function (a, b) { return a - b })
  var m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function now () {
  return Number(process.hrtime.bigint()) / 1e9
}

// ---- handshakes ------------------------------------------------------------

var appKey = nodeCrypto.randomBytes(32)
var alice = sodium.crypto_sign_seed_keypair(nodeCrypto.randomBytes(32))
var bob = sodium.crypto_sign_seed_keypair(nodeCrypto.randomBytes(32))
var createClient = shs.createClient(alice, appKey, 5000)
var createServer = shs.createServer(bob, function (pub, cb) { cb(null, true) }, appKey, 5000)

// One handshake: both sides report success, then `cb`.
function handshake (cb) {
  var pending = 2
  function done (err, stream) {
    if (err) throw err
    // Cancel the idle box-streams so that nothing stays pending.
    stream.source(true, function () {})
    if (--pending === 0) cb()
  }
  var client = createClient(bob.publicKey, done)
  var server = createServer(done)
  pull(client, server, client)
}

// `n` handshakes one after another; each starts on a fresh tick so that no stack builds up.
function handshakes (n, cb) {
  var start = now()
  var i = 0
  ;(function next () {
    if (i++ === n) return cb(now() - start)
    handshake(function () { setImmediate(next) })
  })()
}

// ---- box-stream ------------------------------------------------------------

var CHUNK = 4096
var chunk = nodeCrypto.randomBytes(CHUNK)

// Boxes `n` chunks of 4096 bytes and unboxes them again, through the reference's pull-streams.
function boxUnbox (n, cb) {
  var key = nodeCrypto.randomBytes(32)
  var nonce = nodeCrypto.randomBytes(24)
  var chunks = new Array(n).fill(chunk)
  var bytes = 0
  var start = now()
  pull(
    pull.values(chunks),
    boxes.createBoxStream(key, nonce),
    boxes.createUnboxStream(key, nonce),
    pull.drain(function (data) { bytes += data.length }, function (err) {
      if (err) throw err
      if (bytes !== n * CHUNK) throw new Error('lost bytes: ' + bytes)
      cb(now() - start)
    })
  )
}

// The raw limit: one secretbox seal and one open of 4096 bytes per chunk.
function rawSecretbox (n) {
  var key = nodeCrypto.randomBytes(32)
  var nonce = nodeCrypto.randomBytes(24)
  var start = now()
  for (var i = 0; i < n; i++) {
    var boxed = sodium.crypto_secretbox_easy(chunk, nonce, key)
    if (!sodium.crypto_secretbox_open_easy(boxed, nonce, key)) throw new Error('open failed')
  }
  return now() - start
}

// ---- driver ----------------------------------------------------------------

function rounds (label, run, cb) {
  var times = []
  ;(function next () {
    if (times.length === ROUNDS) return cb(median(times))
    run(function (seconds) {
      times.push(seconds)
      setImmediate(next)
    })
  })()
}

var HANDSHAKES = quick ? 200 : 1000
var BOX_CHUNKS = quick ? 2048 : 8192 // 8 or 32 MiB per round

function main () {
  var results = {
    tool: 'benches/js/bench.js',
    date: new Date().toISOString(),
    node: process.version,
    backend: backend,
    cpu: os.cpus()[0] && os.cpus()[0].model,
    loadavg_1min_at_start: os.loadavg()[0],
    rounds: ROUNDS
  }
  // Warm up the JIT and the native bindings.
  handshakes(50, function () {
    boxUnbox(256, function () {
      rawSecretbox(256)
      rounds('handshake', function (cb) { handshakes(HANDSHAKES, cb) }, function (t) {
        results.handshake_us = t / HANDSHAKES * 1e6
        results.handshakes_per_s = HANDSHAKES / t
        rounds('box+unbox', function (cb) { boxUnbox(BOX_CHUNKS, cb) }, function (t) {
          results.box_unbox_4096_mib_s = BOX_CHUNKS * CHUNK / t / (1 << 20)
          results.box_unbox_4096_us_per_chunk = t / BOX_CHUNKS * 1e6
          rounds('raw', function (cb) { cb(rawSecretbox(BOX_CHUNKS)) }, function (t) {
            results.raw_secretbox_4096_mib_s = BOX_CHUNKS * CHUNK / t / (1 << 20)
            results.raw_secretbox_4096_us_per_chunk = t / BOX_CHUNKS * 1e6
            results.loadavg_1min_at_end = os.loadavg()[0]
            report(results)
          })
        })
      })
    })
  })
}

function report (r) {
  var lines = [
    'JS reference on ' + r.cpu + ', node ' + r.node + ', ' + r.backend,
    'load average (1 min) ' + r.loadavg_1min_at_start.toFixed(2) + ' at start, ' +
      r.loadavg_1min_at_end.toFixed(2) + ' at end; median of ' + r.rounds + ' rounds',
    '  handshake (client + server, in memory)  ' + r.handshake_us.toFixed(1) + ' us  (' +
      r.handshakes_per_s.toFixed(0) + ' handshakes/s)',
    '  box + unbox, 4096-byte chunks           ' + r.box_unbox_4096_mib_s.toFixed(1) + ' MiB/s  (' +
      r.box_unbox_4096_us_per_chunk.toFixed(2) + ' us/chunk)',
    '  raw secretbox seal + open, 4096 bytes   ' + r.raw_secretbox_4096_mib_s.toFixed(1) + ' MiB/s  (' +
      r.raw_secretbox_4096_us_per_chunk.toFixed(2) + ' us/chunk)',
    '  box + unbox / raw secretbox             ' +
      (100 * r.box_unbox_4096_mib_s / r.raw_secretbox_4096_mib_s).toFixed(1) + ' %'
  ]
  console.log(lines.join('\n'))
  var target = path.join(__dirname, '..', '..', 'target')
  fs.mkdirSync(target, { recursive: true })
  var out = path.join(target, 'js-bench.json')
  fs.writeFileSync(out, JSON.stringify(r, null, 2) + '\n')
  console.log('written to ' + path.relative(process.cwd(), out))
}

main()
