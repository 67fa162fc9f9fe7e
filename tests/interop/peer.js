#!/usr/bin/env node
'use strict'
// JS reference peer for the live SHS1 + box-stream interop tests.
// One TCP connection per process; configured by a single JSON argument.
// Every result is one JSON object per line on stdout; see README.md.

var net = require('net')
var path = require('path')
var nodeCrypto = require('crypto')

var HARNESS_BUG = 1
var UNCAUGHT = 2
var HARNESS_TIMEOUT = 3

function die (msg) {
  process.stderr.write('peer.js: ' + msg + '\n')
  process.exit(HARNESS_BUG)
}

// ---- configuration -------------------------------------------------------

var cfg
try {
  if (process.argv.length !== 3) throw new Error('expected exactly one JSON argument')
  cfg = JSON.parse(process.argv[2])
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('argument is not a JSON object')
} catch (err) {
  die('bad argument: ' + err.message + '\nusage: node peer.js \'{"role":"server"|"client", ...}\' (see README.md)')
}

function hexField (name, len, optional) {
  var v = cfg[name]
  if (v === undefined || v === null) {
    if (optional) return null
    die('missing field "' + name + '" (hex, ' + len + ' bytes)')
  }
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
var timeoutMs = intField('timeout_ms', 5000, 1, 3600 * 1000)
var sendBytes = intField('send_bytes', 0, 0, Number.MAX_SAFE_INTEGER)
var harnessTimeoutMs = intField('harness_timeout_ms', 20000, 1, 3600 * 1000)

var endMode = cfg.end === undefined ? 'after_send' : cfg.end
if (endMode !== 'after_send' && endMode !== 'after_peer_end') {
  die('field "end" must be "after_send" or "after_peer_end"')
}

var seedIdentity = null
var seed = null
var serverPk = null
var port = null
var authorizePolicy = null
var allowedKey = null

if (role === 'server') {
  seed = hexField('seed', 32)
  authorizePolicy = cfg.authorize === undefined ? 'accept' : cfg.authorize
  if (typeof authorizePolicy !== 'string') die('field "authorize" must be a string')
  if (/^allow:/.test(authorizePolicy)) {
    var hex = authorizePolicy.slice(6)
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) die('"authorize": "allow:<hex>" needs a 32-byte hex key')
    allowedKey = Buffer.from(hex, 'hex')
  } else if (['accept', 'reject', 'error'].indexOf(authorizePolicy) < 0) {
    die('field "authorize" must be "accept", "reject", "error" or "allow:<hex pk>"')
  }
} else {
  port = intField('port', null, 1, 65535)
  if (port === null) die('missing field "port"')
  serverPk = hexField('server_pk', 32)
  seedIdentity = hexField('seed_identity', 32, true)
  seed = hexField('seed', 32, seedIdentity !== null)
}

// ---- make sure the reference really runs on libsodium --------------------

var shsDir, chloridePath
try {
  shsDir = path.dirname(require.resolve('secret-handshake'))
  chloridePath = require.resolve('chloride', { paths: [shsDir] })
} catch (err) {
  die('JS reference packages not installed (' + err.message.split('\n')[0] + '); run `npm ci` in ' + __dirname)
}
if (process.env.CHLORIDE_JS) {
  die('CHLORIDE_JS is set, so chloride would use its javascript fallback; unset it')
}
var chlorideBindings
try {
  chlorideBindings = require(path.join(path.dirname(chloridePath), 'bindings'))
} catch (err) {
  die('chloride cannot load sodium-native (' + err.message + '); refusing to run on the javascript fallback')
}
if (require(chloridePath) !== chlorideBindings) {
  die('chloride fell back to its javascript implementation; refusing to run')
}

var shs = require('secret-handshake')
var pull = require('pull-stream')
var toPull = require('stream-to-pull-stream')

// ---- output ----------------------------------------------------------------

var finished = false
function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}
function finish (obj, code) {
  if (finished) return
  finished = true
  if (obj) emit(obj)
  // stdout is a pipe or file in tests (synchronous on Linux); wait for the
  // write anyway before exiting.
  process.stdout.write('', function () { process.exit(code || 0) })
}

var selfDestruct = setTimeout(function () {
  finish({ event: 'harness_timeout' }, HARNESS_TIMEOUT)
}, harnessTimeoutMs)

process.on('uncaughtException', function (err) {
  // e.g. the JS reference throws on low-order ephemeral keys (protocol.md 5.1)
  process.stderr.write('peer.js: uncaught exception: ' + (err && err.stack || err) + '\n')
  finish({ event: 'uncaught_exception', error: String(err && err.message || err) }, UNCAUGHT)
})

// ---- the session after the handshake ------------------------------------

function randomChunkSize () {
  return 1 + nodeCrypto.randomInt(70000) // 1 ..= 70000
}

// conn.sinkDone / conn.sinkError are set by the stream-to-pull-stream
// callback once the socket's writing side has finished (FIN sent) or failed.
function runSession (stream, conn) {
  var sent = 0
  var sentHash = nodeCrypto.createHash('sha256')
  var received = 0
  var receivedHash = nodeCrypto.createHash('sha256')

  var sourceDone = false
  var sourceEnd = null // true or Error
  var waitingForPeerEnd = null // pending read callback in after_peer_end mode

  function maybeDone () {
    if (!sourceDone || !conn.sinkDone) return
    clearTimeout(selfDestruct)
    finish({
      event: 'done',
      sent_bytes: sent,
      sent_sha256: sentHash.digest('hex'),
      received_bytes: received,
      received_sha256: receivedHash.digest('hex'),
      end: sourceEnd === true ? 'goodbye' : 'error',
      error: sourceEnd === true ? null : String(sourceEnd && sourceEnd.message || sourceEnd),
      sink_error: conn.sinkError
    }, 0)
  }
  conn.onSinkDone = maybeDone

  // Our plaintext source: send_bytes random bytes in random-sized chunks,
  // then end (-> goodbye), either at once or after the peer's end arrived.
  function dataSource (abort, cb) {
    if (abort) return cb(abort)
    if (sent < sendBytes) {
      var n = Math.min(randomChunkSize(), sendBytes - sent)
      var chunk = nodeCrypto.randomBytes(n)
      sent += n
      sentHash.update(chunk)
      return cb(null, chunk)
    }
    if (endMode === 'after_peer_end' && !sourceDone) {
      waitingForPeerEnd = cb
      return
    }
    cb(true)
  }

  pull(dataSource, stream.sink)

  pull(
    stream.source,
    pull.drain(function (data) {
      received += data.length
      receivedHash.update(data)
    }, function (end) {
      sourceDone = true
      sourceEnd = end === null || end === undefined ? true : end
      if (waitingForPeerEnd) {
        var cb = waitingForPeerEnd
        waitingForPeerEnd = null
        cb(true)
      }
      maybeDone()
    })
  )
  maybeDone()
}

// ---- handshake ------------------------------------------------------------

function handle (socket, makeHandshakeStream) {
  var conn = { sinkDone: false, sinkError: null, onSinkDone: null }
  var duplex = toPull.duplex(socket, function (err) {
    if (conn.sinkDone) return
    conn.sinkDone = true
    conn.sinkError = err ? String(err.message || err) : null
    if (conn.onSinkDone) conn.onSinkDone()
  })
  var hs = makeHandshakeStream(function (err, stream) {
    if (err) {
      clearTimeout(selfDestruct)
      return finish({ event: 'handshake_failed', error: String(err.message || err) }, 0)
    }
    emit({ event: 'connected', remote: stream.remote.toString('hex') })
    runSession(stream, conn)
  })
  pull(duplex, hs, duplex)
}

var keys = seed ? shs.toKeys(seed) : null

if (role === 'server') {
  var authorize = function (pk, cb) {
    if (authorizePolicy === 'accept') return cb(null, true)
    if (authorizePolicy === 'reject') return cb(null, false)
    if (authorizePolicy === 'error') return cb(new Error('nope'))
    return cb(null, pk.equals(allowedKey))
  }
  var createServerStream = shs.createServer(keys, authorize, networkKey, timeoutMs)
  var accepted = false
  var server = net.createServer({ allowHalfOpen: true }, function (socket) {
    if (accepted) return socket.destroy()
    accepted = true
    server.close()
    socket.on('error', function () {}) // reported through the pull streams
    handle(socket, createServerStream)
  })
  server.on('error', function (err) { die('listen failed: ' + err.message) })
  server.listen(0, '127.0.0.1', function () {
    emit({ event: 'listening', port: server.address().port, public_key: keys.publicKey.toString('hex') })
  })
} else {
  var createClientStream = shs.createClient(keys, networkKey, timeoutMs)
  var connected = false
  var socket = net.connect({ host: '127.0.0.1', port: port, allowHalfOpen: true })
  socket.on('error', function (err) {
    if (connected) return // reported through the pull streams
    clearTimeout(selfDestruct)
    finish({ event: 'connect_failed', error: err.message }, 0)
  })
  socket.once('connect', function () {
    connected = true
    handle(socket, function (cb) {
      return seedIdentity
        ? createClientStream(serverPk, seedIdentity, cb)
        : createClientStream(serverPk, cb)
    })
  })
}
