#!/usr/bin/env node
'use strict'
// multiserver (ws + shs plugins, as Scuttlebutt runs them) for the live WebSocket interop tests;
// as a client, also over its unix-socket plugin ("transport": "unix").
// One connection per process; configured by a single JSON argument; reports JSON lines on
// stdout. See README.md ("ws_peer.js").

var http = require('http')
var path = require('path')
var nodeCrypto = require('crypto')

var HARNESS_BUG = 1
var UNCAUGHT = 2
var HARNESS_TIMEOUT = 3

function die (msg) {
  process.stderr.write('ws_peer.js: ' + msg + '\n')
  process.exit(HARNESS_BUG)
}

// ---- configuration -------------------------------------------------------

var cfg
try {
  if (process.argv.length !== 3) throw new Error('expected exactly one JSON argument')
  cfg = JSON.parse(process.argv[2])
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('argument is not a JSON object')
} catch (err) {
  die('bad argument: ' + err.message + '\nusage: node ws_peer.js \'{"role":"server"|"client", ...}\' (see README.md)')
}

function hexField (name, len) {
  var v = cfg[name]
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v) || v.length !== 2 * len) {
    die('field "' + name + '" must be ' + len + ' bytes of hex')
  }
  return Buffer.from(v, 'hex')
}

function intField (name, dflt, min, max) {
  var v = cfg[name]
  if (v === undefined || v === null) return dflt
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    die('field "' + name + '" must be an integer in [' + min + ', ' + max + ']')
  }
  return v
}

var role = cfg.role
if (role !== 'server' && role !== 'client') die('field "role" must be "server" or "client"')
var networkKey = hexField('network_key', 32)
var seed = hexField('seed', 32)
var timeoutMs = intField('timeout_ms', 5000, 1, 3600 * 1000)
var sendBytes = intField('send_bytes', 0, 0, Number.MAX_SAFE_INTEGER)
var harnessTimeoutMs = intField('harness_timeout_ms', 20000, 1, 3600 * 1000)
var endMode = cfg.end === undefined ? 'after_send' : cfg.end
if (endMode !== 'after_send' && endMode !== 'after_peer_end') {
  die('field "end" must be "after_send" or "after_peer_end"')
}
var authorizePolicy = cfg.authorize === undefined ? 'accept' : cfg.authorize
if (['accept', 'reject'].indexOf(authorizePolicy) < 0) die('field "authorize" must be "accept" or "reject"')
var address = cfg.address
if (role === 'client' && typeof address !== 'string') die('missing field "address" (a multiserver address)')
var transport = cfg.transport === undefined ? 'ws' : cfg.transport
if (['ws', 'unix'].indexOf(transport) < 0) die('field "transport" must be "ws" or "unix"')
if (transport === 'unix' && role !== 'client') die('"transport": "unix" is for the client role only')

// ---- make sure secret-handshake really runs on libsodium ----------------

var chloridePath
try {
  var msDir = path.dirname(require.resolve('multiserver'))
  var shsDir = path.dirname(require.resolve('secret-handshake', { paths: [msDir] }))
  chloridePath = require.resolve('chloride', { paths: [shsDir] })
} catch (err) {
  die('multiserver packages not installed (' + err.message.split('\n')[0] + '); run `npm ci` in ' + __dirname)
}
if (process.env.CHLORIDE_JS) die('CHLORIDE_JS is set, so chloride would use its javascript fallback; unset it')
try {
  if (require(chloridePath) !== require(path.join(path.dirname(chloridePath), 'bindings'))) throw new Error('javascript fallback')
} catch (err) {
  die('chloride does not run on sodium-native (' + err.message + '); refusing to run')
}

var Multiserver = require('multiserver')
var WS = require('multiserver/plugins/ws')
var Unix = require('multiserver/plugins/unix-socket')
var SHS = require('multiserver/plugins/shs')
var pull = require('pull-stream')

// ---- output ----------------------------------------------------------------

var doneAt = null
function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n') // a pipe: synchronous on Linux
}
function fail (obj, code) {
  emit(obj)
  process.exit(code)
}
// Unref'd: it fires only if something else keeps the process alive, such as ws's 30 s close
// timer when the peer never drops the TCP connection.
setTimeout(function () { fail({ event: 'harness_timeout' }, HARNESS_TIMEOUT) }, harnessTimeoutMs).unref()
process.on('uncaughtException', function (err) {
  process.stderr.write('ws_peer.js: uncaught exception: ' + (err && err.stack || err) + '\n')
  fail({ event: 'uncaught_exception', error: String(err && err.message || err) }, UNCAUGHT)
})
// The process ends on its own once every socket is closed; report how long that took.
process.on('exit', function (code) {
  emit({ event: 'exit', code: code, after_done_ms: doneAt === null ? null : Date.now() - doneAt })
})

// ---- the session after the handshake ------------------------------------

function runSession (stream) {
  var sent = 0
  var sentHash = nodeCrypto.createHash('sha256')
  var received = 0
  var receivedHash = nodeCrypto.createHash('sha256')
  var sourceEnd = null // true or an Error, once the peer's side ended
  var sinkEnded = false // our source has ended, so our goodbye (and ws's Close) went out
  var waitingForPeerEnd = null

  function maybeDone () {
    if (sourceEnd === null || !sinkEnded || doneAt !== null) return
    doneAt = Date.now()
    emit({
      event: 'done',
      sent_bytes: sent,
      sent_sha256: sentHash.digest('hex'),
      received_bytes: received,
      received_sha256: receivedHash.digest('hex'),
      end: sourceEnd === true ? 'goodbye' : 'error',
      error: sourceEnd === true ? null : String(sourceEnd && sourceEnd.message || sourceEnd)
    })
  }

  function dataSource (abort, cb) {
    if (abort) return cb(abort)
    if (sent < sendBytes) {
      var n = Math.min(1 + nodeCrypto.randomInt(70000), sendBytes - sent)
      var chunk = nodeCrypto.randomBytes(n)
      sent += n
      sentHash.update(chunk)
      return cb(null, chunk)
    }
    if (endMode === 'after_peer_end' && sourceEnd === null) {
      waitingForPeerEnd = cb
      return
    }
    sinkEnded = true
    cb(true)
    maybeDone()
  }

  pull(dataSource, stream.sink)
  pull(stream.source, pull.drain(function (data) {
    received += data.length
    receivedHash.update(data)
  }, function (end) {
    sourceEnd = end === null || end === undefined ? true : end
    if (waitingForPeerEnd) {
      var cb = waitingForPeerEnd
      waitingForPeerEnd = null
      sinkEnded = true
      cb(true)
    }
    maybeDone()
  }))
}

function connected (stream) {
  emit({ event: 'connected', remote: stream.remote.toString('hex'), address: stream.address })
  runSession(stream)
}

function failed (err) {
  // The shs plugin marks its errors with address 'shs:' (after the ws part, if any).
  var shs = /(^|~)shs:$/.test(err && err.address || '')
  emit({ event: shs ? 'handshake_failed' : 'connect_failed', error: String(err && err.message || err) })
}

var shs = SHS({
  seed: seed,
  appKey: networkKey,
  timeout: timeoutMs,
  auth: function (pk, cb) { cb(null, authorizePolicy === 'accept') }
})

if (role === 'server') {
  var httpServer = http.createServer()
  httpServer.on('error', function (err) { die('listen failed: ' + err.message) })
  httpServer.listen(0, '127.0.0.1', function () {
    var ms = Multiserver([[WS({ server: httpServer, host: '127.0.0.1' }), shs]])
    var accepted = false
    ms.server(function (stream) {
      connected(stream)
    }, failed)
    httpServer.once('upgrade', function () {
      if (accepted) return
      accepted = true
      httpServer.close() // one connection per process; the open one carries on
    })
    emit({
      event: 'listening',
      port: httpServer.address().port,
      address: ms.stringify('device'),
      public_key: shs.publicKey.toString('hex')
    })
  })
} else {
  // A path of its own keeps the unix plugin from making a temporary directory (used by
  // its server side only).
  var plugin = transport === 'unix' ? Unix({ path: require('os').tmpdir() }) : WS({})
  var ms = Multiserver([[plugin, shs]])
  ms.client(address, function (err, stream) {
    if (err) return failed(err)
    connected(stream)
  })
}
