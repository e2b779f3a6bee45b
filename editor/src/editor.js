// The in-page editor of shared documents: CodeMirror 6 bound to the document's Y.Text
// `content`, synced with the node over the y-websocket protocol. See docs/editor.md.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import { basicSetup } from 'codemirror'
import { markdown } from '@codemirror/lang-markdown'
import { EditorState } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'

// The server closes with these when it refused on purpose (4400-4499: not authenticated,
// not a member, read-only write, unknown document, document too large) or when an update
// was too large (1009); reconnecting would only be refused again, or resend the same update.
const isRefusal = (code) => (code >= 4400 && code < 4500) || code === 1009

const COLORS = ['#30bced', '#6eeb83', '#ffbc42', '#ee6352', '#9ac2c9', '#8acb88', '#1be7ff']

function defaultWsBase () {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/ws/docs`
}

// A marker element may sit inside the editor's element or next to it.
function findNear (el, selector) {
  return el.querySelector(selector) || el.parentElement?.querySelector(selector) || null
}

function mount (el) {
  const docId = el.dataset.p2pDoc
  const readOnly = el.dataset.readonly === 'true'
  const statusEl = findNear(el, '[data-p2p-doc-status]')
  const peopleEl = findNear(el, '[data-p2p-doc-people]')

  const ydoc = new Y.Doc()
  const ytext = ydoc.getText('content')
  // The page's session cookie authenticates us (same origin), so no token is passed.
  // Tabs must not sync with each other behind the server's back: it alone decides who may write.
  const provider = new WebsocketProvider(el.dataset.ws || defaultWsBase(), docId, ydoc, {
    disableBc: true,
    connect: false,
    shouldReconnect: (event) => !isRefusal(event.code)
  })

  const setStatus = (text) => { if (statusEl) statusEl.textContent = text }
  let closed = false
  provider.on('status', ({ status }) => {
    if (closed) return
    // 'disconnected' is followed by a reconnection attempt
    setStatus(status === 'connected' ? 'connected' : 'connecting')
  })
  provider.on('sync', (synced) => {
    if (synced && !closed) setStatus(readOnly ? 'read-only' : 'synced')
  })
  // shouldReconnect has already set provider.shouldConnect = false for these
  provider.on('connection-close', (event) => {
    if (event && isRefusal(event.code)) {
      closed = true
      setStatus(`closed: ${event.reason || event.code}`)
    }
  })

  const color = el.dataset.userColor || COLORS[Math.floor(Math.random() * COLORS.length)]
  provider.awareness.setLocalStateField('user', {
    name: el.dataset.userName || 'anonymous',
    color
  })
  if (peopleEl) {
    const showPeople = () => {
      const names = new Set()
      for (const state of provider.awareness.getStates().values()) {
        if (state.user?.name) names.add(state.user.name)
      }
      if (peopleEl.tagName === 'UL' || peopleEl.tagName === 'OL') {
        peopleEl.replaceChildren(...[...names].map((name) => {
          const li = document.createElement('li')
          li.textContent = name
          return li
        }))
      } else {
        peopleEl.textContent = [...names].join(', ')
      }
    }
    provider.awareness.on('change', showPeople)
    showPeople()
  }

  provider.connect()

  const undoManager = new Y.UndoManager(ytext)
  const view = new EditorView({
    parent: el,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        // before basicSetup, so that undo/redo go through the Yjs undo manager
        keymap.of(yUndoManagerKeymap),
        basicSetup,
        markdown(),
        EditorView.lineWrapping,
        // The editable area is a textbox: it needs a name that screen readers announce.
        EditorView.contentAttributes.of({ 'aria-label': el.dataset.label || 'Document text' }),
        yCollab(ytext, provider.awareness, { undoManager }),
        ...(readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [])
      ]
    })
  })
  return { ydoc, provider, view }
}

function mountAll () {
  for (const el of document.querySelectorAll('[data-p2p-doc]')) {
    window.p2pvalueEditor = mount(el)
  }
}

// An async script may run after DOMContentLoaded has fired.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', mountAll)
} else {
  mountAll()
}
