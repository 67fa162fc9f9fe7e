#!/usr/bin/env node
'use strict'
// A JS secret-stack (7.1.1, muxrpc 8) node for tests/ssb_rpc.rs: as a server, net and ws on
// 127.0.0.1 with a `whoami` and a `greet.hello` method; as a client, calls methods on an address.
// Configured by one JSON argument; reports JSON lines on stdout. See README.md ("stack_node.js").

var http = require('http')
var net = require('net')

function die (msg) {
  process.stderr.write('stack_node.js: ' + msg + '\n')
  process.exit(1)
}

var cfg
try {
  cfg = JSON.parse(process.argv[2])
  if (cfg === null || typeof cfg !== 'object') throw new Error('not a JSON object')
} catch (err) {
  die('bad argument (' + err.message + '); usage: node stack_node.js \'{"role": "server"|"client", "seed": HEX, ...}\'')
}
if (typeof cfg.seed !== 'string' || !/^[0-9a-fA-F]{64}$/.test(cfg.seed)) die('field "seed" must be 32 bytes of hex')

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

setTimeout(function () {
  emit({ event: 'harness_timeout' })
  process.exit(3)
}, cfg.harness_timeout_ms || 60000).unref()

var sodium = require('sodium-native')
var keys = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }
sodium.crypto_sign_seed_keypair(keys.publicKey, keys.secretKey, Buffer.from(cfg.seed, 'hex'))

var SecretStack = require('secret-stack')
var WS = require('multiserver/plugins/ws')

// The WebSocket transport (as ssb-ws adds it), on an HTTP server already listening.
function wsTransport (server) {
  return {
    init: function (api) {
      api.multiserver.transport({
        name: 'ws',
        create: function (opts) { return WS(Object.assign({}, opts, { server: server })) }
      })
    }
  }
}

// `whoami` at the top level, as ssb-db has it; callable by anyone.
var whoami = {
  manifest: { whoami: 'async' },
  permissions: { anonymous: { allow: ['whoami'] } },
  init: function (api) {
    return { whoami: function (cb) { cb(null, { id: api.id }) } }
  }
}

var greet = {
  name: 'greet',
  manifest: { hello: 'async' },
  permissions: { anonymous: { allow: ['hello'] } },
  init: function () {
    return { hello: function (name, cb) { cb(null, 'Hello, ' + name + '!') } }
  }
}

function stack (incoming, server) {
  return SecretStack({ caps: { shs: '1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=' } })
    .use(wsTransport(server))
    .use(whoami)
    .use(greet)({
      keys: keys,
      connections: {
        incoming: incoming,
        outgoing: { net: [{ transform: 'shs' }], ws: [{ transform: 'shs' }] }
      }
    })
}

if (cfg.role === 'server') {
  // The net plugin takes a fixed port: find a free one; ws gets a listening HTTP server.
  var probe = net.createServer()
  probe.listen(0, '127.0.0.1', function () {
    var port = probe.address().port
    probe.close(function () {
      var server = http.createServer()
      server.listen(0, '127.0.0.1', function () {
        var app = stack({
          net: [{ host: '127.0.0.1', port: port, scope: 'device', transform: 'shs' }],
          ws: [{ host: '127.0.0.1', scope: 'device', transform: 'shs' }]
        }, server)
        app.on('multiserver:listening', function () {
          var address = app.getAddress('device')
          var parts = address.split(';')
          emit({
            event: 'listening',
            id: app.id,
            address: address,
            net: parts.find(function (a) { return a.startsWith('net:') }),
            ws: parts.find(function (a) { return a.startsWith('ws:') })
          })
        })
        app.on('rpc:connect', function (rpc) {
          emit({ event: 'connected', id: rpc.id })
          rpc.once('closed', function () { emit({ event: 'closed', id: rpc.id }) })
        })
      })
    })
  })
} else if (cfg.role === 'client') {
  // Calls each of `calls` ([[method, args], ...]) in turn, then closes the connection.
  if (typeof cfg.address !== 'string' || !Array.isArray(cfg.calls)) die('a client needs "address" and "calls"')
  var app = stack({}, null)
  app.connect(cfg.address, function (err, rpc) {
    if (err) {
      emit({ event: 'connect_failed', error: String(err.message || err) })
      return process.exit(0)
    }
    emit({ event: 'connected', id: rpc.id })
    ;(function next (i) {
      if (i === cfg.calls.length) {
        // Node exits by itself once the connection has ended (both goodbyes exchanged).
        return rpc.close(function (err) {
          emit({ event: 'closed', error: err ? String(err.message || err) : null })
          app.close()
        })
      }
      // As `rpc.greet.hello(...)` calls, but for any name (those not in the manifest too).
      var method = cfg.calls[i][0]
      rpc.stream.remoteCall('async', method.split('.'), cfg.calls[i][1], function (err, value) {
        if (err) emit({ event: 'error', method: method, name: err.name, message: err.message })
        else emit({ event: 'answer', method: method, value: value })
        next(i + 1)
      })
    })(0)
  })
} else {
  die('field "role" must be "server" or "client"')
}
