// The client's model of the PROTOCOL.md update stream, with no DOM in it.
//
// - Updates (frames with `seq`) are applied exactly once and in order: duplicates (seq <= lastSeq)
//   are dropped, early ones wait in `early` until the gap closes, and a gap that does not close
//   by itself is filled from GET /api/v1/updates.
// - `received` is sent for the highest CONTIGUOUS seq, `read` per conversation while it is visible.
// - Outgoing messages live in an outbox persisted in localStorage with their client id, and are
//   resent with the SAME id after every reconnect until acked, so the server's idempotency keeps
//   them single. Messages are also deduplicated by msgId when the stream echoes them back.
// - Everything else (presence, typing) is live-only soft state.

import { disappearLabel } from './format.js';

const GAP_FILL_AFTER_MS = 600;
const RECEIVED_DEBOUNCE_MS = 150;
const SAVE_DEBOUNCE_MS = 400;
const TYPING_SHOWN_MS = 5000;
const TYPING_SEND_EVERY_MS = 3000;
const RETRY_BUSY_AFTER_MS = 3000;
const KEPT_ITEMS_PER_CONVERSATION = 300;
const RETRYABLE_ERRORS = new Set(['rate_limited', 'overloaded']);

export function canonicalDm(a, b) {
  const [first, second] = [a, b].sort();
  return `dm:${first}:${second}`;
}

export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function itemOrder(a, b) {
  const aPending = a.seq == null;
  const bPending = b.seq == null;
  if (aPending !== bPending) return aPending ? 1 : -1; // not yet in the stream: last
  if (aPending) return a.createdAt - b.createdAt;
  if (a.groupSeq != null && b.groupSeq != null) return a.groupSeq - b.groupSeq;
  return a.seq - b.seq;
}

export class ChatState extends EventTarget {
  /**
   * @param userId        the logged-in user
   * @param send          (frame) => boolean: writes to the socket if it is open
   * @param fetchUpdates  (after) => Promise<{updates, lastSeq, more}> (REST gap filling)
   * @param storage       a Storage (localStorage): outbox and snapshot survive reloads
   */
  constructor({ userId, send, fetchUpdates, storage = globalThis.localStorage }) {
    super();
    this.me = userId;
    this.transport = send;
    this.fetchUpdates = fetchUpdates;
    this.storage = storage;
    this.keys = { snapshot: `parley.v1.${userId}.state`, outbox: `parley.v1.${userId}.outbox` };

    this.ready = false; // hello received on the current socket
    this.lastSeq = 0; // every update up to here is applied
    this.early = new Map(); // seq -> update that arrived before its predecessors
    this.receivedSent = 0;
    this.conversations = new Map();
    this.byMsgId = new Map(); // msgId -> item
    this.byClientId = new Map(); // client id -> item (own messages)
    this.strayReceipts = new Map(); // msgId -> receipts that arrived before we knew the message
    this.outbox = [];
    this.presence = new Map(); // user -> {online, lastSeen}
    this.subscribed = new Set();
    this.typing = new Map(); // conversation -> Map(user -> until)
    this.typingSentAt = new Map();
    this.visibleConversation = null;
    this.timers = {};
    this.restore();
  }

  // ---- connection lifecycle -------------------------------------------------------------

  /** The socket closed: live-only state is no longer trustworthy. */
  disconnected() {
    this.ready = false;
    this.subscribed.clear();
    for (const p of this.presence.values()) p.online = false;
    this.typing.clear();
    this.changed();
  }

  /** Every frame the server sends goes through here. */
  receive(frame) {
    switch (frame.type) {
      case 'hello': return this.onHello(frame);
      case 'message':
      case 'receipt':
      case 'group':
      case 'expired':
      case 'settings': return this.acceptUpdate(frame);
      case 'ack': return this.onAck(frame);
      case 'presence': return this.onPresence(frame);
      case 'typing': return this.onTyping(frame);
      case 'error': return this.onError(frame);
      default:
        // `failed` and update types added later still take their place in the stream: a seq
        // left unapplied would hold back every update after it.
        if (typeof frame.seq === 'number') return this.acceptUpdate(frame);
        if (frame.type === 'failed') return this.onFailed(frame);
        return undefined; // pong and live-only frame types added later
    }
  }

  onHello(hello) {
    if (typeof hello.lastSeq === 'number' && hello.lastSeq < this.lastSeq) {
      // The server's stream is shorter than what we hold: it is not the server we synced with.
      this.resetStream();
    }
    this.ready = true;
    this.send({ type: 'sync', after: this.lastSeq });
    this.receivedSent = Math.min(this.receivedSent, this.lastSeq - 1);
    this.scheduleReceived();
    this.flushOutbox();
    this.subscribe(this.peers());
    for (const conversation of this.conversations.values()) {
      if (conversation.readDirty) this.sendRead(conversation);
    }
    this.dispatchEvent(new CustomEvent('hello', { detail: hello }));
    this.changed();
  }

  send(frame) {
    return this.ready && this.transport(frame);
  }

  // ---- the ordered update stream ----------------------------------------------------------

  acceptUpdate(update) {
    if (typeof update.seq !== 'number') return;
    if (update.seq <= this.lastSeq) return; // at-least-once delivery: already applied
    if (update.seq > this.lastSeq + 1) {
      this.early.set(update.seq, update);
      this.scheduleGapFill();
      return;
    }
    this.apply(update);
    this.lastSeq = update.seq;
    while (this.early.has(this.lastSeq + 1)) {
      const next = this.early.get(this.lastSeq + 1);
      this.early.delete(next.seq);
      this.apply(next);
      this.lastSeq = next.seq;
    }
    for (const seq of this.early.keys()) if (seq <= this.lastSeq) this.early.delete(seq);
    this.scheduleReceived();
    this.scheduleSave();
    this.changed();
  }

  apply(update) {
    switch (update.type) {
      case 'message': return this.applyMessage(update);
      case 'receipt': return this.applyReceipt(update);
      case 'group': return this.applyGroup(update);
      case 'expired': return this.applyExpired(update);
      case 'settings': return this.applySettings(update);
      case 'failed': return this.onFailed(update);
      default: return undefined;
    }
  }

  scheduleGapFill() {
    if (this.timers.gap) return;
    this.timers.gap = setTimeout(async () => {
      this.timers.gap = null;
      if (this.early.size === 0) return;
      try {
        let more = true;
        while (more && this.early.size > 0) {
          const page = await this.fetchUpdates(this.lastSeq);
          const before = this.lastSeq;
          for (const update of page.updates || []) this.acceptUpdate(update);
          more = Boolean(page.more) && this.lastSeq > before;
        }
      } catch {
        // offline or server busy: the next sync after reconnecting replays the gap anyway
      }
      if (this.early.size > 0) this.scheduleGapFill();
    }, GAP_FILL_AFTER_MS);
  }

  scheduleReceived() {
    clearTimeout(this.timers.received);
    this.timers.received = setTimeout(() => {
      if (this.lastSeq > this.receivedSent && this.send({ type: 'received', upTo: this.lastSeq })) {
        this.receivedSent = this.lastSeq;
      }
    }, RECEIVED_DEBOUNCE_MS);
  }

  // ---- applying updates -------------------------------------------------------------------

  applyMessage(update) {
    const conversation = this.conversation(update.conversation);
    const existing = this.byMsgId.get(update.msgId);
    if (update.expired) {
      if (existing) this.removeItem(existing);
      return;
    }
    if (existing) {
      existing.seq ??= update.seq;
      existing.groupSeq ??= update.groupSeq;
      this.resort(conversation);
      return;
    }
    const clientId = update.clientId ?? update.id;
    const pending = clientId ? this.byClientId.get(clientId) : null;
    const item = pending ?? {
      kind: 'message',
      key: `m:${update.msgId}`,
      createdAt: update.ts,
      conversation: conversation.id,
    };
    Object.assign(item, {
      msgId: update.msgId,
      seq: update.seq,
      groupSeq: update.groupSeq ?? null,
      from: update.from,
      ts: update.ts,
      body: update.body ?? {},
      expiresAt: update.expiresAt ?? null,
    });
    if (item.from === this.me) {
      item.status ??= 'sent';
      item.deliveredBy ??= [];
      item.readBy ??= [];
      item.recipients ??= this.recipientCount(conversation);
      if (pending) this.dropFromOutbox(clientId);
    }
    this.byMsgId.set(item.msgId, item);
    this.typing.get(conversation.id)?.delete(item.from); // the message they were typing is here
    if (!pending) this.insertItem(conversation, item);
    else this.resort(conversation);
    conversation.lastActivity = Math.max(conversation.lastActivity || 0, item.ts || 0);
    for (const receipt of this.strayReceipts.get(item.msgId) || []) this.applyReceipt(receipt);
    this.strayReceipts.delete(item.msgId);
    if (this.visibleConversation === conversation.id && item.from !== this.me) this.markRead(conversation.id);
  }

  applyReceipt(receipt) {
    const item = this.byMsgId.get(receipt.msgId);
    if (!item) {
      const list = this.strayReceipts.get(receipt.msgId) || [];
      list.push(receipt);
      this.strayReceipts.set(receipt.msgId, list);
      return;
    }
    item.deliveredBy ??= [];
    item.readBy ??= [];
    if (!item.deliveredBy.includes(receipt.by)) item.deliveredBy.push(receipt.by);
    if (receipt.status === 'read' && !item.readBy.includes(receipt.by)) item.readBy.push(receipt.by);
    item.status = this.statusOf(item);
  }

  statusOf(item) {
    const needed = Math.max(1, item.recipients || 1);
    if (item.readBy.length >= needed) return 'read';
    if (item.deliveredBy.length >= needed) return 'delivered';
    return 'sent';
  }

  applyGroup(update) {
    const conversation = this.conversation(`group:${update.groupId}`);
    if (update.name) conversation.name = update.name;
    if (Array.isArray(update.members)) conversation.members = update.members;
    const users = update.users || [];
    if (update.event === 'created' && update.by) conversation.admins = [update.by];
    if (update.event === 'member_removed' && users.includes(this.me)) conversation.left = true;
    if (update.event === 'member_added' && users.includes(this.me)) conversation.left = false;
    if (update.event === 'created' && conversation.members?.includes(this.me)) conversation.left = false;
    conversation.lastActivity = Math.max(conversation.lastActivity || 0, update.ts || this.lastItemTs(conversation));
    this.insertItem(conversation, this.systemItem(update, conversation, this.describeGroupEvent(update)));
    this.subscribe(this.peers());
  }

  describeGroupEvent({ event, by, users = [], name }) {
    const who = (user) => (user === this.me ? 'You' : user);
    const list = users.map(who).join(', ');
    switch (event) {
      case 'created': return `${who(by)} created the group "${name ?? ''}"`;
      case 'member_added': return `${who(by)} added ${list}`;
      case 'member_removed':
        return users.length === 1 && users[0] === by ? `${who(by)} left` : `${who(by)} removed ${list}`;
      case 'settings': return name ? `${who(by)} renamed the group to "${name}"` : `${who(by)} changed the group settings`;
      default: return `${who(by)} changed the group`;
    }
  }

  applyExpired(update) {
    for (const msgId of update.msgIds || []) {
      const item = this.byMsgId.get(msgId);
      if (item) this.removeItem(item);
    }
  }

  applySettings(update) {
    const conversation = this.conversation(update.conversation);
    const seconds = update.disappearAfterSeconds || 0;
    conversation.disappearAfterSeconds = seconds;
    const who = !update.by ? null : update.by === this.me ? 'You' : update.by;
    const text = seconds > 0
      ? `${who ? `${who} turned on disappearing messages` : 'Disappearing messages on'}: new messages vanish after ${disappearLabel(seconds)}`
      : `${who ? `${who} turned off disappearing messages` : 'Disappearing messages off'}`;
    this.insertItem(conversation, this.systemItem(update, conversation, text, { disappearSeconds: seconds }));
  }

  systemItem(update, conversation, text, extra = {}) {
    return {
      kind: 'system',
      key: `s:${update.seq}`,
      seq: update.seq,
      ts: update.ts ?? this.lastItemTs(conversation),
      createdAt: Date.now(),
      text,
      ...extra,
    };
  }

  lastItemTs(conversation) {
    const items = conversation.items;
    return items.length ? items[items.length - 1].ts || Date.now() : Date.now();
  }

  // ---- outgoing messages ------------------------------------------------------------------

  sendText(conversationId, text) {
    return this.enqueue(conversationId, { text });
  }

  /**
   * A media message is shown at once (with the local preview and an upload bar) but enters the
   * outbox only once its bytes are on the server: a file cannot be kept in localStorage.
   */
  beginMedia(conversationId, { previewUrl, contentType, caption, name, size }) {
    const conversation = this.conversation(conversationId);
    const clientId = newClientId();
    const item = this.pendingItem(conversation, clientId, {
      body: { media: { contentType, size, name }, ...(caption ? { caption } : {}) },
      localPreview: previewUrl,
      upload: { progress: 0 },
    });
    this.changed();
    return {
      progress: (fraction) => {
        item.upload = { progress: fraction };
        this.changed();
      },
      uploaded: (media) => {
        const body = { media: { ...media }, ...(caption ? { caption } : {}) };
        item.upload = null;
        item.body = { ...body, media: { ...body.media, name } };
        this.addToOutbox(conversation, clientId, body);
      },
      failed: (reason) => {
        item.upload = null;
        item.status = 'failed';
        item.failure = reason;
        this.changed();
      },
      discard: () => this.removeItem(item),
    };
  }

  enqueue(conversationId, body) {
    const conversation = this.conversation(conversationId);
    this.typingSentAt.delete(conversation.id); // the next keystroke starts a new "typing…"
    const clientId = newClientId();
    this.pendingItem(conversation, clientId, { body });
    this.addToOutbox(conversation, clientId, body);
    return clientId;
  }

  pendingItem(conversation, clientId, fields) {
    const item = {
      kind: 'message',
      key: `c:${clientId}`,
      clientId,
      conversation: conversation.id,
      msgId: null,
      seq: null,
      from: this.me,
      ts: null,
      createdAt: Date.now(),
      status: 'pending',
      deliveredBy: [],
      readBy: [],
      recipients: this.recipientCount(conversation),
      ...fields,
    };
    this.byClientId.set(clientId, item);
    this.insertItem(conversation, item);
    conversation.lastActivity = Date.now();
    return item;
  }

  addToOutbox(conversation, clientId, body) {
    const entry = { id: clientId, to: this.addressOf(conversation), conversation: conversation.id, body, createdAt: Date.now() };
    this.outbox.push(entry);
    this.saveOutbox();
    this.send({ type: 'send', id: entry.id, to: entry.to, body: entry.body });
    this.changed();
  }

  /** After (re)connecting: everything not yet acked goes out again, in order, with its old id. */
  flushOutbox() {
    for (const entry of this.outbox) {
      if (!this.send({ type: 'send', id: entry.id, to: entry.to, body: entry.body })) return;
    }
  }

  dropFromOutbox(clientId) {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((entry) => entry.id !== clientId);
    if (this.outbox.length !== before) this.saveOutbox();
  }

  onAck(ack) {
    const entry = this.outbox.find((e) => e.id === ack.id);
    const item = this.byClientId.get(ack.id);
    this.dropFromOutbox(ack.id);
    if (!item) return;
    const echoed = this.byMsgId.get(ack.msgId);
    if (echoed && echoed !== item) {
      this.removeItem(item); // the stream brought it first: keep that one, drop the placeholder
      return;
    }
    item.msgId = ack.msgId;
    item.ts = ack.ts ?? item.ts ?? Date.now();
    const conversation = this.conversations.get(item.conversation);
    const timer = conversation?.disappearAfterSeconds || 0;
    // PROTOCOL.md: a message sent while the timer is on expires at ts + N s; the ack may not say so.
    item.expiresAt = ack.expiresAt ?? item.expiresAt ?? (timer > 0 ? item.ts + timer * 1000 : null);
    if (item.status === 'pending' || item.status === 'failed') item.status = 'sent';
    this.byMsgId.set(ack.msgId, item);
    for (const receipt of this.strayReceipts.get(ack.msgId) || []) this.applyReceipt(receipt);
    this.strayReceipts.delete(ack.msgId);
    if (typeof ack.seq === 'number') {
      // The sending socket gets no echo of its own message: the ack's seq is that slot of the stream.
      this.acceptUpdate({
        type: 'message',
        seq: ack.seq,
        msgId: ack.msgId,
        conversation: ack.conversation ?? entry?.conversation ?? item.conversation,
        from: this.me,
        ts: item.ts,
        body: item.body,
        expiresAt: item.expiresAt,
        clientId: ack.id,
      });
    }
    this.scheduleSave();
    this.changed();
  }

  onFailed(failure) {
    const item = this.byClientId.get(failure.id) ?? this.byMsgId.get(failure.msgId);
    if (failure.member && item?.msgId) {
      // A group message that reached the others but not this member: say so, keep the ticks.
      item.undelivered = [...new Set([...(item.undelivered || []), failure.member])];
      this.scheduleSave();
      this.changed();
      return;
    }
    this.fail(failure.id ?? item?.clientId, failure.reason || 'not delivered');
  }

  onError(error) {
    if (error.id && this.byClientId.has(error.id)) {
      if (RETRYABLE_ERRORS.has(error.code)) {
        clearTimeout(this.timers.busy);
        this.timers.busy = setTimeout(() => this.flushOutbox(), RETRY_BUSY_AFTER_MS);
        return;
      }
      this.fail(error.id, error.message || error.code);
      return;
    }
    // Errors of live-only frames (typing, subscribe, read) change nothing the user could act on.
    if (RETRYABLE_ERRORS.has(error.code)) this.notice('The server is busy. Your messages will go out shortly.');
  }

  fail(clientId, reason) {
    this.dropFromOutbox(clientId);
    const item = this.byClientId.get(clientId);
    if (!item) return;
    item.status = 'failed';
    item.failure = reason;
    this.scheduleSave();
    this.changed();
  }

  /** Sends a failed message again as a new message (new client id). */
  retry(item) {
    this.removeItem(item);
    if (item.body?.text !== undefined || item.body?.media?.mediaId) {
      this.enqueue(item.conversation, this.sendableBody(item.body));
    }
  }

  sendableBody(body) {
    if (!body.media) return body;
    const { name, url, ...media } = body.media;
    return { ...body, media };
  }

  // ---- receipts we send -------------------------------------------------------------------

  /** The user looks at this conversation (or stopped looking, with null). */
  setVisible(conversationId) {
    this.visibleConversation = conversationId;
    if (conversationId) this.markRead(conversationId);
  }

  markRead(conversationId) {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return;
    let upTo = conversation.readUpTo || 0;
    for (const item of conversation.items) {
      if (item.kind === 'message' && item.from !== this.me && item.seq > upTo) upTo = item.seq;
    }
    if (upTo > (conversation.readUpTo || 0)) {
      conversation.readUpTo = upTo;
      conversation.readDirty = true;
      this.sendRead(conversation);
      this.scheduleSave();
      this.changed();
    }
  }

  sendRead(conversation) {
    if (this.send({ type: 'read', conversation: conversation.id, upTo: conversation.readUpTo })) {
      conversation.readDirty = false;
    }
  }

  unreadCount(conversation) {
    const readUpTo = conversation.readUpTo || 0;
    return conversation.items.filter((i) => i.kind === 'message' && i.from !== this.me && i.seq > readUpTo).length;
  }

  // ---- presence and typing ----------------------------------------------------------------

  peers() {
    const users = new Set();
    for (const conversation of this.conversations.values()) {
      if (conversation.kind === 'dm') users.add(conversation.peer);
      else for (const member of conversation.members || []) users.add(member);
    }
    users.delete(this.me);
    return [...users];
  }

  subscribe(users) {
    const fresh = users.filter((u) => !this.subscribed.has(u));
    if (fresh.length && this.send({ type: 'subscribe', users: fresh })) fresh.forEach((u) => this.subscribed.add(u));
  }

  onPresence({ user, online, lastSeen }) {
    // no lastSeen in the frame means the user hides it: forget the one we had
    this.presence.set(user, { online: Boolean(online), lastSeen: lastSeen ?? null });
    if (!online) this.stopTyping(user);
    this.changed();
  }

  onTyping({ conversation, user }) {
    if (!user || user === this.me) return;
    const id = this.normalize(conversation);
    const users = this.typing.get(id) || new Map();
    users.set(user, Date.now() + TYPING_SHOWN_MS);
    this.typing.set(id, users);
    clearTimeout(this.timers[`typing:${id}:${user}`]);
    this.timers[`typing:${id}:${user}`] = setTimeout(() => {
      users.delete(user);
      this.changed();
    }, TYPING_SHOWN_MS);
    this.changed();
  }

  stopTyping(user) {
    for (const users of this.typing.values()) users.delete(user);
  }

  /** Users typing in a conversation right now. */
  typingIn(conversationId) {
    const users = this.typing.get(conversationId);
    if (!users) return [];
    const now = Date.now();
    return [...users].filter(([, until]) => until > now).map(([user]) => user);
  }

  userTyped(conversationId) {
    const now = Date.now();
    if (now - (this.typingSentAt.get(conversationId) || 0) < TYPING_SEND_EVERY_MS) return;
    const conversation = this.conversations.get(conversationId);
    if (conversation && this.send({ type: 'typing', to: this.addressOf(conversation) })) {
      this.typingSentAt.set(conversationId, now);
    }
  }

  // ---- conversations ----------------------------------------------------------------------

  /** "user:bob" (as addressed) or a canonical id -> canonical id. */
  normalize(name) {
    if (name?.startsWith('user:')) return canonicalDm(this.me, name.slice(5));
    return name;
  }

  addressOf(conversation) {
    return conversation.kind === 'dm' ? `user:${conversation.peer}` : conversation.id;
  }

  recipientCount(conversation) {
    if (conversation.kind === 'dm') return 1;
    return Math.max(1, (conversation.members || []).filter((m) => m !== this.me).length);
  }

  /** The conversation with that id (or "user:x" name), created empty when first seen. */
  conversation(name) {
    const id = this.normalize(name);
    let conversation = this.conversations.get(id);
    if (!conversation) {
      conversation = { id, items: [], readUpTo: 0, lastActivity: 0, disappearAfterSeconds: 0 };
      if (id.startsWith('group:')) {
        Object.assign(conversation, { kind: 'group', groupId: id.slice(6), name: id.slice(6), members: [], admins: [] });
      } else {
        const [, a, b] = id.split(':');
        Object.assign(conversation, { kind: 'dm', peer: a === this.me ? b : a });
      }
      this.conversations.set(id, conversation);
      if (conversation.kind === 'dm') this.subscribe([conversation.peer]);
    }
    return conversation;
  }

  /** Opens (or creates) the 1:1 chat with `user`. */
  directWith(user) {
    const conversation = this.conversation(canonicalDm(this.me, user));
    conversation.lastActivity ||= Date.now();
    this.changed();
    return conversation.id;
  }

  /** A group the server just created for us: known at once, before its `group` update. */
  rememberGroup({ groupId, name, members, admins }) {
    const conversation = this.conversation(`group:${groupId}`);
    Object.assign(conversation, { name, members: members || [], admins: admins || [], left: false });
    conversation.lastActivity ||= Date.now();
    this.subscribe(this.peers());
    this.changed();
    return conversation.id;
  }

  /** Chats ordered by their latest activity, newest first. */
  conversationList() {
    return [...this.conversations.values()].sort((a, b) => (b.lastActivity || 0) - (a.lastActivity || 0));
  }

  lastMessage(conversation) {
    for (let i = conversation.items.length - 1; i >= 0; i--) {
      if (conversation.items[i].kind === 'message') return conversation.items[i];
    }
    return null;
  }

  insertItem(conversation, item) {
    const items = conversation.items;
    let at = items.length;
    while (at > 0 && itemOrder(items[at - 1], item) > 0) at--;
    items.splice(at, 0, item);
  }

  resort(conversation) {
    conversation.items.sort(itemOrder);
  }

  removeItem(item) {
    const conversation = this.conversations.get(item.conversation);
    if (conversation) conversation.items = conversation.items.filter((i) => i !== item);
    if (item.msgId) this.byMsgId.delete(item.msgId);
    if (item.clientId) {
      this.byClientId.delete(item.clientId);
      this.dropFromOutbox(item.clientId);
    }
    this.scheduleSave();
    this.changed();
  }

  /** Drops local expired messages right away: the server's `expired` update confirms it later. */
  sweepExpired(now = Date.now()) {
    let removed = false;
    for (const conversation of this.conversations.values()) {
      for (const item of conversation.items) {
        if (item.kind === 'message' && item.expiresAt && item.expiresAt <= now) {
          this.removeItem(item);
          removed = true;
        }
      }
    }
    return removed;
  }

  // ---- persistence ------------------------------------------------------------------------

  resetStream() {
    this.lastSeq = 0;
    this.receivedSent = 0;
    this.early.clear();
    this.conversations.clear();
    this.byMsgId.clear();
    this.strayReceipts.clear();
    const pending = [...this.byClientId.values()].filter((item) => item.seq == null);
    this.byClientId.clear();
    for (const item of pending) {
      this.byClientId.set(item.clientId, item);
      this.insertItem(this.conversation(item.conversation), item);
    }
  }

  scheduleSave() {
    clearTimeout(this.timers.save);
    this.timers.save = setTimeout(() => this.save(), SAVE_DEBOUNCE_MS);
  }

  save() {
    const conversations = [...this.conversations.values()].map((c) => ({
      ...c,
      items: c.items
        .filter((i) => !i.upload)
        .slice(-KEPT_ITEMS_PER_CONVERSATION)
        .map(({ localPreview, ...rest }) => rest),
    }));
    try {
      this.storage?.setItem(this.keys.snapshot, JSON.stringify({ version: 1, lastSeq: this.lastSeq, conversations }));
    } catch {
      // storage full or unavailable: the stream replays from the server on the next start
    }
  }

  saveOutbox() {
    try {
      this.storage?.setItem(this.keys.outbox, JSON.stringify(this.outbox));
    } catch {
      // unavailable storage: the outbox still lives in memory for this page
    }
  }

  restore() {
    try {
      const snapshot = JSON.parse(this.storage?.getItem(this.keys.snapshot) || 'null');
      if (snapshot?.version === 1) {
        this.lastSeq = snapshot.lastSeq || 0;
        this.receivedSent = this.lastSeq;
        for (const conversation of snapshot.conversations || []) {
          this.conversations.set(conversation.id, conversation);
          for (const item of conversation.items) {
            if (item.msgId) this.byMsgId.set(item.msgId, item);
            if (item.clientId) this.byClientId.set(item.clientId, item);
          }
        }
      }
      this.outbox = JSON.parse(this.storage?.getItem(this.keys.outbox) || '[]');
    } catch {
      this.outbox = [];
    }
    for (const entry of this.outbox) {
      if (this.byClientId.has(entry.id)) continue;
      const conversation = this.conversation(entry.conversation);
      this.pendingItem(conversation, entry.id, { body: entry.body, createdAt: entry.createdAt });
    }
  }

  /** Removes everything this user left in the browser (log out). */
  forget() {
    Object.values(this.timers).forEach((t) => clearTimeout(t));
    this.storage?.removeItem(this.keys.snapshot);
    this.storage?.removeItem(this.keys.outbox);
  }

  // ---- notifications ----------------------------------------------------------------------

  changed() {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.dispatchEvent(new Event('change'));
    });
  }

  notice(message) {
    this.dispatchEvent(new CustomEvent('notice', { detail: message }));
  }
}
