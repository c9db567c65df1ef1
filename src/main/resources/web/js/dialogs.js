// Modal dialogs built on <dialog>: focus trapping, Escape and inert background come for free.

import { h } from './dom.js';
import { icon } from './icons.js';
import { DISAPPEAR_CHOICES } from './format.js';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

function openDialog({ id, title, content, className = '' }) {
  const dialog = h('dialog.dialog', { id, class: className, 'aria-labelledby': `${id}-title` },
    h('header.dialog-header',
      h('h2', { id: `${id}-title` }, title),
      h('button.icon-button', { type: 'button', 'aria-label': 'Close', title: 'Close', onclick: () => dialog.close() }, icon('close'))),
    content);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close(); // click on the backdrop
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function parseUsers(text, me) {
  const users = [...new Set(text.split(/[\s,;]+/).map((u) => u.trim().replace(/^@/, '').toLowerCase()).filter(Boolean))];
  const bad = users.find((u) => !USERNAME.test(u));
  if (bad) throw new Error(`"${bad}" is not a valid username.`);
  return users.filter((u) => u !== me);
}

/** A form whose submit runs `action`; errors are shown inside, success closes the dialog. */
function actionForm(fields, submitLabel, action, submitId) {
  const error = h('p.form-error', { role: 'alert' });
  const submit = h('button.primary', { type: 'submit', id: submitId }, submitLabel);
  const form = h('form.dialog-body', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        await action();
        form.closest('dialog')?.close();
      } catch (failure) {
        error.textContent = failure.message || 'Something went wrong.';
      } finally {
        submit.disabled = false;
      }
    },
  }, fields, error, h('div.dialog-actions', submit));
  return form;
}

export function openNewChat({ me, start }) {
  const input = h('input#new-chat-user', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'username', required: true });
  openDialog({
    id: 'new-chat-dialog',
    title: 'New chat',
    content: actionForm(
      h('div.field', h('label', { for: 'new-chat-user' }, 'Chat with'), input),
      'Start chat',
      async () => {
        const [user] = parseUsers(input.value, me);
        if (!user) throw new Error('Enter the username of someone else.');
        start(user);
      },
      'new-chat-start'),
  });
  input.focus();
}

export function openNewGroup({ me, create }) {
  const name = h('input#group-name', { autocomplete: 'off', maxlength: '64', required: true, placeholder: 'e.g. Weekend trip' });
  const members = h('input#group-members', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'bob, carol' });
  openDialog({
    id: 'new-group-dialog',
    title: 'New group',
    content: actionForm([
      h('div.field', h('label', { for: 'group-name' }, 'Group name'), name),
      h('div.field', h('label', { for: 'group-members' }, 'Members'), members, h('p.field-hint', 'Usernames, separated by commas')),
    ], 'Create group', async () => {
      if (!name.value.trim()) throw new Error('Give the group a name.');
      const users = parseUsers(members.value, me);
      if (!users.length) throw new Error('Add at least one member.');
      await create(name.value.trim(), users);
    }, 'new-group-create'),
  });
  name.focus();
}

export function openGroupInfo({ me, conversation, api, changed }) {
  const list = h('ul.member-list#member-list', { 'aria-label': 'Members' });
  const status = h('p.form-error', { role: 'alert' });
  const addSlot = h('div');
  let group = { members: conversation.members || [], admins: conversation.admins || [] };

  async function attempt(work) {
    status.textContent = '';
    try {
      const result = await work();
      if (result?.members) group = { ...group, ...result };
      else group = await api.group(conversation.groupId);
      changed(group);
      draw();
    } catch (error) {
      status.textContent = error.status === 403 ? 'Only group admins can do that.'
        : error.status === 409 ? 'The group is full.'
          : error.message || 'That did not work.';
    }
  }

  function draw() {
    const iAmAdmin = group.admins?.includes(me);
    list.replaceChildren(...(group.members || []).map((member) => h('li.member', { dataset: { member } },
      h('span.member-name', member === me ? `${member} (you)` : member),
      group.admins?.includes(member) ? h('span.admin-chip', 'admin') : null,
      iAmAdmin && member !== me
        ? h('button.icon-button.small', { type: 'button', 'aria-label': `Remove ${member}`, title: `Remove ${member}`, onclick: () => attempt(() => api.removeMember(conversation.groupId, member)) }, icon('remove'))
        : null)));
    addSlot.replaceChildren(iAmAdmin ? addForm : h('p.field-hint', 'Only admins can add or remove members.'));
  }

  const addInput = h('input#add-member', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'username', 'aria-label': 'Add member' });
  const addForm = h('form.inline-form', {
    onsubmit: (e) => {
      e.preventDefault();
      let users;
      try {
        users = parseUsers(addInput.value, me);
      } catch (error) {
        status.textContent = error.message;
        return;
      }
      if (!users.length) return;
      attempt(async () => {
        const result = await api.addMembers(conversation.groupId, users);
        addInput.value = '';
        return result;
      });
    },
  }, addInput, h('button.primary#add-member-submit', { type: 'submit' }, icon('add'), 'Add'));

  const leave = h('button.danger#leave-group', {
    type: 'button',
    onclick: () => attempt(async () => {
      await api.removeMember(conversation.groupId, me);
      dialog.close();
      return { members: group.members.filter((m) => m !== me) };
    }),
  }, 'Leave group');

  const dialog = openDialog({
    id: 'group-info-dialog',
    title: conversation.name || 'Group',
    content: h('div.dialog-body', h('h3.section-title', 'Members'), list, addSlot, status,
      conversation.left ? null : h('div.dialog-actions', leave)),
  });
  draw();
  api.group(conversation.groupId).then((fresh) => {
    group = fresh;
    changed(fresh);
    draw();
  }, (error) => {
    if (error.status === 403) status.textContent = 'You are not a member of this group.';
  });
}

export function openTimer({ current, save }) {
  const options = DISAPPEAR_CHOICES.map(([seconds, label]) => h('label.radio',
    h('input', { type: 'radio', name: 'disappear', value: String(seconds), checked: seconds === current }),
    h('span', label)));
  openDialog({
    id: 'timer-dialog',
    title: 'Disappearing messages',
    content: actionForm([
      h('p.field-hint', 'New messages in this chat disappear for everyone after the chosen time.'),
      h('fieldset.radio-group', h('legend.visually-hidden', 'Timer'), options),
    ], 'Save', async () => {
      const chosen = document.querySelector('#timer-dialog input[name=disappear]:checked');
      await save(Number(chosen?.value || 0));
    }, 'timer-save'),
  });
  document.querySelector('#timer-dialog input[name=disappear]:checked')?.focus();
}

export function openViewer({ item, src, video }) {
  const media = video
    ? h('video.viewer-media#viewer-video', { src, controls: true, autoplay: true, playsinline: true, preload: 'auto' })
    : h('img.viewer-media#viewer-image', { src, alt: item.body.caption || 'Photo' });
  const dialog = openDialog({
    id: 'viewer',
    title: item.body.caption || (video ? 'Video' : 'Photo'),
    className: 'viewer',
    content: h('div.viewer-body', media),
  });
  dialog.querySelector('.dialog-header button')?.focus();
  return dialog;
}

export function openProfile({ me, displayName, current, save }) {
  const choices = [['everyone', 'Everyone'], ['nobody', 'Nobody']].map(([value, label]) => h('label.radio',
    h('input', { type: 'radio', name: 'last-seen', value, checked: value === current }),
    h('span', label)));
  openDialog({
    id: 'profile-dialog',
    title: displayName || me,
    content: actionForm([
      h('p.field-hint', `Signed in as @${me}`),
      h('fieldset.radio-group', h('legend.section-title', 'Who can see my last seen'), choices),
    ], 'Save', async () => {
      const chosen = document.querySelector('#profile-dialog input[name=last-seen]:checked');
      await save(chosen?.value || 'everyone');
    }, 'profile-save'),
  });
  document.querySelector('#profile-dialog input[name=last-seen]:checked')?.focus();
}
