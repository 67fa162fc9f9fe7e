#!/usr/bin/env node
'use strict'
// A JS multiserver node (multiserver@3.8.2: net, ws and unix plugins, each with shs or noauth)
// for tests/dial_interop.rs. Configured by one JSON argument; reports JSON lines on stdout.
// See README.md ("ms_node.js").

var http = require('http')
var net = require('net')
var path = require('path')

function die (msg) {
  process.stderr.write('ms_node.js: ' + msg + '\n')
  process.exit(1)
}

var cfg
try {
  cfg = JSON.parse(process.argv[2])
  if (cfg === null || typeof cfg !== 'object') throw new Error('not a JSON object')
} catch (err) {
  die('bad argument (' + err.message + '); usage: node ms_node.js \'{"role": "server"|"client", ...}\'')
}

function hex (name) {
  var v = cfg[name]
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) die('field "' + name + '" must be 32 bytes of hex')
  return Buffer.from(v, 'hex')
}

var networkKey = hex('network_key')
var seed = hex('seed')
var harnessMs = cfg.harness_timeout_ms || 60000

// secret-handshake must run on libsodium (sodium-native), not chloride's JS fallback.
try {
  var msDir = path.dirname(require.resolve('multiserver'))
  var shsDir = path.dirname(require.resolve('secret-handshake', { paths: [msDir] }))
  var chloridePath = require.resolve('chloride', { paths: [shsDir] })
  if (process.env.CHLORIDE_JS) throw new Error('CHLORIDE_JS is set')
  if (require(chloridePath) !== require(path.join(path.dirname(chloridePath), 'bindings'))) {
    throw new Error('chloride uses its javascript fallback')
  }
} catch (err) {
  die('multiserver with sodium-native is needed (' + err.message.split('\n')[0] + '); run `npm ci` in ' + __dirname)
}

var Multiserver = require('multiserver')
var Net = require('multiserver/plugins/net')
var WS = require('multiserver/plugins/ws')
var Unix = require('multiserver/plugins/unix-socket')
var SHS = require('multiserver/plugins/shs')
var Noauth = require('multiserver/plugins/noauth')
var pull = require('pull-stream')

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

setTimeout(function () {
  emit({ event: 'harness_timeout' })
  process.exit(3)
}, harnessMs)

var shs = SHS({
  seed: seed,
  appKey: networkKey,
  timeout: 5000,
  auth: function (pk, cb) { cb(null, true) }
})
var noauth = Noauth({ keys: { publicKey: shs.publicKey } })

function transform (name) {
  if (name === 'shs') return shs
  if (name === 'noauth') return noauth
  die('unknown transform ' + JSON.stringify(name))
}

function remoteHex (stream) {
  return Buffer.isBuffer(stream.remote) ? stream.remote.toString('hex') : null
}

// Finds a free TCP port (the net plugin takes a fixed one, or picks one at random).
function freePort (host, cb) {
  var probe = net.createServer()
  probe.listen(0, host, function () {
    var port = probe.address().port
    probe.close(function () { cb(port) })
  })
}

// Builds the plugs one after another (net needs a port, ws a listening HTTP server).
function plugs (specs, done, acc) {
  acc = acc || []
  if (specs.length === 0) return done(acc)
  var spec = specs[0]
  var next = function (plug) { plugs(specs.slice(1), done, acc.concat([[plug, transform(spec.transform)]])) }
  var host = spec.host || '127.0.0.1'
  if (spec.transport === 'net') {
    freePort(host, function (port) {
      next(Net({ host: host, port: port, allowHalfOpen: true }))
    })
  } else if (spec.transport === 'ws') {
    var server = http.createServer()
    server.listen(0, host, function () { next(WS({ server: server, host: host })) })
  } else if (spec.transport === 'unix') {
    if (typeof spec.dir !== 'string') die('a unix plug needs "dir", the directory of its socket')
    next(Unix({ path: spec.dir, allowHalfOpen: true }))
  } else {
    die('unknown transport ' + JSON.stringify(spec.transport))
  }
}

if (cfg.role === 'server') {
  // Echoes every connection's data back, then ends it.
  if (!Array.isArray(cfg.plugs) || cfg.plugs.length === 0) die('a server needs "plugs": [{transport, transform}, ...]')
  plugs(cfg.plugs, function (all) {
    var ms = Multiserver(all)
    ms.server(function (stream) {
      emit({ event: 'connected', address: stream.address, remote: remoteHex(stream) })
      pull(stream.source, stream.sink)
    }, function (err) {
      emit({ event: 'connection_failed', error: String(err && err.message || err) })
    }, function (err) {
      if (err) die('listen failed: ' + err.message)
      emit({ event: 'listening', address: ms.stringify('device'), public_key: shs.publicKey.toString('hex') })
    })
  })
} else if (cfg.role === 'client') {
  // Sends `send`, ends, and reports what came back before the server ended.
  if (typeof cfg.address !== 'string') die('a client needs "address"')
  // Client-only plugs: nothing is listened on, so the unix socket directory is never made.
  var unused = { path: '/nonexistent' }
  var ms = Multiserver([[Net({}), shs], [WS({}), shs], [Unix(unused), shs], [Unix(unused), noauth]])
  ms.client(cfg.address, function (err, stream) {
    if (err) {
      emit({ event: 'connect_failed', error: String(err.message || err) })
      return process.exit(0)
    }
    emit({ event: 'connected', address: stream.address, remote: remoteHex(stream) })
    pull(pull.values([Buffer.from(cfg.send || '')]), stream.sink)
    pull(stream.source, pull.collect(function (err, chunks) {
      emit({
        event: 'done',
        received: Buffer.concat(chunks || []).toString(),
        error: err ? String(err.message || err) : null
      })
      process.exit(0)
    }))
  })
} else {
  die('field "role" must be "server" or "client"')
}
