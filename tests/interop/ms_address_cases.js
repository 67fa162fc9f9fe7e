#!/usr/bin/env node
'use strict'
// The JS multiserver-address package as the reference for tests/multiserver_grammar.rs: prints
// one JSON array of cases, each {"source", "text", "check", "decoded"}, where `check` is the
// package's own verdict and `decoded` its parse ([[{name, data: [..]}, ..], ..], or null).
//
// The cases are the package's own tests, read from its test directory (the `valid` and `invalid`
// lists of test/index.js, found by running that file with a stand-in for `tape`, and
// test/random.txt), plus `generated` fresh strings from the grammar (nearley's unparser).
//
// usage: node ms_address_cases.js [generated]   (default 300)

var fs = require('fs')
var path = require('path')
var vm = require('vm')

var ma = require('multiserver-address')
var unparse = require('nearley/lib/unparse')

var generated = process.argv.length > 2 ? Number(process.argv[2]) : 300
if (!Number.isSafeInteger(generated) || generated < 0) {
  process.stderr.write('ms_address_cases.js: the argument is a count of generated cases\n')
  process.exit(1)
}

var pkgDir = path.dirname(require.resolve('multiserver-address/package.json'))
var testDir = path.join(pkgDir, 'test')

function decode (text) {
  try {
    return ma.decode(text)
  } catch (err) {
    return null
  }
}

var cases = []
function add (source, text) {
  cases.push({ source: source, text: text, check: ma.check(text), decoded: decode(text) })
}

// test/index.js registers one tape test per case, named 'parse:<text>' for the valid ones and
// 'error: <text>' for the invalid ones. Run it with a `tape` that only records the names.
var names = []
var sandbox = {
  __dirname: testDir,
  console: { log: function () {} },
  require: function (name) {
    if (name === 'tape') return function (testName) { names.push(testName) }
    if (name === '../') return ma
    if (name === 'fs') return fs
    throw new Error('test/index.js requires ' + name + ', which the case reader does not provide')
  }
}
vm.runInNewContext(fs.readFileSync(path.join(testDir, 'index.js'), 'utf8'), sandbox)
var listed = 0
names.forEach(function (name) {
  var m = /^(parse:|error: )([\s\S]*)$/.exec(name)
  if (!m) return
  add(m[1] === 'parse:' ? 'valid' : 'invalid', m[2])
  listed++
})
if (listed === 0) {
  process.stderr.write('ms_address_cases.js: found no cases in ' + testDir + '/index.js\n')
  process.exit(1)
}

fs.readFileSync(path.join(testDir, 'random.txt'), 'utf8').split('\n').forEach(function (line) {
  if (line !== '') add('random.txt', line)
})

// As `nearley-unparse` does (how the package made random.txt): the compiled grammar, unbounded.
var compiled = require('multiserver-address/multiserver')
for (var i = 0; i < generated; i++) {
  add('generated', unparse(compiled, compiled.ParserStart, null))
}

process.stdout.write(JSON.stringify(cases) + '\n')
