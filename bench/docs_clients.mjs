// The clients of bench/docs.py: stock Yjs clients (y-websocket's WebsocketProvider over `ws`)
// in one Node process, typing into one document and timing each other on one clock.
//
//   node bench/docs_clients.mjs --url=WS_BASE --room=ROOM [--tokens=T1,T2,...]
//        [--clients=50] [--seconds=10] [--interval=1] [--drain=5]
//
// The providers connect to WS_BASE/ROOM (the first alone, then the others at once; with a
// token each, in turn, from --tokens) and wait to be synced. Then each client inserts a
// short marked text at a random place every --interval seconds for --seconds, the clients
// staggered evenly over the interval. A client has received an update once its document
// emits it, applied (the moment its editor would show it). Prints one JSON line:
//   {"updates": N, "latencies_ms": [...], "missing": M, "span_ms": S}
// one latency per (update, client other than its sender); an update that has not arrived
// --drain seconds after the last send is missing and counts the time waited. `span_ms`
// runs from the first send to the last arrival.
//
// The packages come from editor/node_modules, loaded as CommonJS so that the process holds
// a single copy of yjs (as tests/collab/yclient.mjs does).
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

const require = createRequire(new URL('../editor/package.json', import.meta.url))
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')
const WebSocket = require('ws')

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    room: { type: 'string' },
    tokens: { type: 'string', default: '' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    interval: { type: 'string', default: '1' },
    drain: { type: 'string', default: '5' }
  }
})
if (!args.url || !args.room) {
  process.stderr.write('usage: docs_clients.mjs --url=WS_BASE --room=ROOM [--tokens=...]\n')
  process.exit(2)
}
const clients = Number(args.clients)
const interval = Number(args.interval) * 1000
const count = Math.max(1, Math.round(Number(args.seconds) * 1000 / interval))
const drain = Number(args.drain) * 1000
const tokens = args.tokens ? args.tokens.split(',') : []
const JOIN_TIMEOUT = 30000
const MARK = /~\d+\.\d+~/g
// Each provider listens for the process' exit.
process.setMaxListeners(clients + 10)

const sent = new Map() // marker -> [sender, ms]
let arrived = 0
let lastArrival = 0

function client (index) {
  const doc = new Y.Doc()
  const text = doc.getText('content')
  const token = tokens.length ? tokens[index % tokens.length] : null
  const provider = new WebsocketProvider(args.url, args.room, doc, {
    WebSocketPolyfill: WebSocket,
    connect: false,
    params: token ? { token } : {},
    disableBc: true // the clients share a process: they must sync through the server only
  })
  const received = new Map() // marker -> ms, the first arrival of each
  const own = `~${index}.`
  doc.on('update', (update, origin) => {
    if (origin !== provider) return
    const now = performance.now()
    const content = Buffer.from(update.buffer, update.byteOffset, update.byteLength)
    for (const mark of content.toString('latin1').match(MARK) ?? []) {
      if (received.has(mark) || mark.startsWith(own)) continue
      received.set(mark, now)
      arrived++
      lastArrival = now
    }
  })
  const synced = new Promise((resolve, reject) => {
    provider.once('sync', resolve)
    provider.on('connection-close', (event) => {
      if (event && !provider.synced) reject(new Error(`closed ${event.code} ${event.reason}`))
    })
  })
  return { index, doc, text, provider, received, synced }
}

function timeout (ms, what) {
  return sleep(ms, null, { ref: false }).then(() => { throw new Error(`${what}: timed out`) })
}

async function join (all) {
  // The first opens the room alone: pycrdt-websocket starts a room reached at once by
  // several clients more than once, and those wait forever.
  all[0].provider.connect()
  await Promise.race([all[0].synced, timeout(JOIN_TIMEOUT, 'first join')])
  for (const c of all.slice(1)) c.provider.connect()
  await Promise.race([Promise.all(all.map((c) => c.synced)), timeout(JOIN_TIMEOUT, 'join')])
}

async function type (all, start) {
  const step = interval / all.length
  const schedule = []
  for (let seq = 0; seq < count; seq++) {
    for (const c of all) schedule.push([start + c.index * step + seq * interval, c, seq])
  }
  schedule.sort((a, b) => a[0] - b[0])
  for (const [at, c, seq] of schedule) {
    const wait = at - performance.now()
    if (wait > 0) await sleep(wait)
    const mark = `~${c.index}.${seq}~`
    const place = Math.floor(Math.random() * (c.text.length + 1))
    sent.set(mark, [c.index, performance.now()])
    c.text.insert(place, mark + ' ')
  }
}

async function delivered (expected, deadline) {
  while (arrived < expected && performance.now() < deadline) await sleep(5)
  return performance.now()
}

function figures (all, gaveUp) {
  const latencies = []
  let missing = 0
  for (const c of all) {
    for (const [mark, [sender, began]] of sent) {
      if (sender === c.index) continue
      let at = c.received.get(mark)
      if (at === undefined) {
        missing++
        at = gaveUp
      }
      latencies.push(at - began)
    }
  }
  const first = Math.min(...[...sent.values()].map(([, began]) => began))
  return { updates: sent.size, latencies_ms: latencies, missing, span_ms: lastArrival - first }
}

async function close (all) {
  const closed = all.map(({ provider }) => {
    const ws = provider.ws
    provider.destroy()
    if (!ws || ws.readyState === WebSocket.CLOSED) return null
    return Promise.race([new Promise((resolve) => ws.once('close', resolve)), sleep(1000)])
  })
  await Promise.all(closed)
}

const all = Array.from({ length: clients }, (_, index) => client(index))
try {
  await join(all)
} catch (error) {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}
await type(all, performance.now() + 500)
const gaveUp = await delivered(clients * count * (clients - 1), performance.now() + drain)
const result = figures(all, gaveUp)
await close(all)
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0))
