// A real Yjs client (y-websocket's WebsocketProvider) that tests drive over line-delimited JSON.
//
//   node tests/collab/yclient.mjs --url WS_BASE --doc=DOC_ID [--token=T] [--name=NAME]
//
// Prints one JSON object a line:
//   {"event":"status","status":"connecting"|"connected"|"disconnected"}
//   {"event":"synced"}
//   {"event":"text","text":"..."}                   whenever the Y.Text `content` changes
//   {"event":"awareness","users":["name", ...]}     sorted names of everyone present, us included
//   {"event":"closed","code":N,"reason":"..."}      the server closed the socket; on a refusal
//                                                   (code >= 4000 or 1009) we exit 0 right after
//   {"event":"error","error":"..."}                 a command could not be carried out
// Reads one command a line:
//   {"op":"insert","index":N,"text":"..."}  {"op":"delete","index":N,"length":N}
//   {"op":"text"}  (prints a text event)    {"op":"quit"}  (also on end of input; exits 0)
//
// The packages come from editor/node_modules. ESM resolution ignores NODE_PATH, so they are
// loaded through a require() rooted there; loading all of them as CommonJS keeps a single
// copy of yjs in the process.
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

const require = createRequire(new URL('../../editor/package.json', import.meta.url))
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')
const WebSocket = require('ws')

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    doc: { type: 'string' },
    token: { type: 'string' },
    name: { type: 'string', default: 'yclient' }
  }
})
if (!args.url || !args.doc) {
  process.stderr.write('usage: yclient.mjs --url WS_BASE --doc=DOC_ID [--token=T] [--name=NAME]\n')
  process.exit(2)
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
// The test that reads us has gone away.
process.stdout.on('error', () => process.exit(0))

// The server refused on purpose (or our update was too large): reconnecting cannot help.
const isRefusal = (code) => code >= 4000 || code === 1009

const ydoc = new Y.Doc()
const ytext = ydoc.getText('content')
const provider = new WebsocketProvider(args.url, args.doc, ydoc, {
  WebSocketPolyfill: WebSocket,
  connect: false, // until our listeners are in place, so that "connecting" is reported too
  params: args.token ? { token: args.token } : {},
  // Two clients in one process must sync through the server, never through a BroadcastChannel.
  disableBc: true,
  shouldReconnect: (event) => !isRefusal(event.code)
})

let exiting = false
function exit () {
  if (exiting) return
  exiting = true
  const ws = provider.ws
  // destroy() sends our awareness removal and starts the close handshake; wait for it so
  // that the others see us leave now rather than after the awareness timeout.
  provider.destroy()
  const done = () => process.stdout.write('', () => process.exit(0))
  if (ws && ws.readyState !== WebSocket.CLOSED) {
    ws.once('close', done)
    setTimeout(done, 1000)
  } else {
    done()
  }
}

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('sync', (synced) => { if (synced) emit({ event: 'synced' }) })
provider.on('connection-close', (event) => {
  if (event === null) return // closed by us
  emit({ event: 'closed', code: event.code, reason: event.reason })
  // after the provider has finished handling the close
  if (isRefusal(event.code)) setImmediate(exit)
})
ytext.observe(() => emit({ event: 'text', text: ytext.toString() }))

const awareness = provider.awareness
awareness.on('change', () => {
  const users = [...awareness.getStates().values()]
    .map((state) => state.user?.name)
    .filter((name) => typeof name === 'string')
    .sort()
  emit({ event: 'awareness', users })
})
const colors = ['#30bced', '#6eeb83', '#ffbc42', '#ee6352', '#9ac2c9']
awareness.setLocalStateField('user', {
  name: args.name,
  color: colors[Math.floor(Math.random() * colors.length)]
})

function checkRange (index, length) {
  const ok = Number.isInteger(index) && Number.isInteger(length) && index >= 0 && length >= 0
  if (!ok || index + length > ytext.length) {
    throw new Error(`range ${index}+${length} outside the text (length ${ytext.length})`)
  }
}

provider.connect()

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (!line.trim()) return
  try {
    const cmd = JSON.parse(line)
    switch (cmd.op) {
      // Yjs silently clamps positions past the end; a test should hear about its mistake.
      case 'insert':
        checkRange(cmd.index, 0)
        ytext.insert(cmd.index, String(cmd.text))
        break
      case 'delete':
        checkRange(cmd.index, cmd.length)
        ytext.delete(cmd.index, cmd.length)
        break
      case 'text': emit({ event: 'text', text: ytext.toString() }); break
      case 'quit': exit(); break
      default: emit({ event: 'error', error: `unknown op: ${cmd.op}` })
    }
  } catch (err) {
    emit({ event: 'error', error: String(err && err.message ? err.message : err) })
  }
})
lines.on('close', exit)
