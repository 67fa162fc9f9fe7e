// Box-stream frames with no data, as the JS reference's reader sees them. pull-box-stream's
// writer never sends one (it drops empty writes), so the frames are boxed here the way its
// createBoxStream boxes any chunk (chloride's secretbox, header nonce n, body nonce n+1), and
// then read back through the reference's own createUnboxStream.
// Input: one JSON argument {key, nonce, writes: [hex...]} (an empty string is an empty frame).
// Output: one JSON line {wire, chunks: [hex...], ended}: the wire bytes and what JS read.
'use strict'
const sodium = require('chloride')
const pull = require('pull-stream')
const boxes = require('pull-box-stream')
const increment = require('increment-buffer')

const config = JSON.parse(process.argv[2])
const key = Buffer.from(config.key, 'hex')
const nonce = Buffer.from(config.nonce, 'hex')

const header = Buffer.alloc(18)
const wire = []
for (const hex of config.writes) {
  const data = Buffer.from(hex, 'hex')
  const bodyNonce = increment(Buffer.from(nonce))
  const boxed = sodium.crypto_secretbox_easy(data, bodyNonce, key)
  header.writeUInt16BE(data.length, 0)
  boxed.copy(header, 2, 0, 16)
  wire.push(sodium.crypto_secretbox_easy(header, nonce, key), boxed.slice(16))
  increment(increment(nonce))
}
wire.push(sodium.crypto_secretbox_easy(Buffer.alloc(18), nonce, key)) // the goodbye

pull(
  pull.values([Buffer.concat(wire)]),
  boxes.createUnboxStream(key, Buffer.from(config.nonce, 'hex')),
  pull.collect((err, chunks) => {
    console.log(JSON.stringify({
      wire: Buffer.concat(wire).toString('hex'),
      chunks: chunks.map((c) => c.toString('hex')),
      ended: !err
    }))
  })
)
