/**
 * The status page's one inline script (plain ES2020, no build): follows the current run over
 * `GET /v1/runs/{id}/events` (EventSource, sent with the session cookie), updating its steps, state and progress,
 * and every few seconds asks `GET /v1/runs?limit=1` for a newer run to follow instead. It writes to the page only
 * through `textContent` and `createElement`: nothing from the server is parsed as HTML.
 */
export const STATUS_PAGE_SCRIPT = `
(() => {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const current = byId('current');
  let runId = current.dataset.runId || '';
  let source = null;
  const setState = (element, state, text) => {
    element.className = 'state state-' + state;
    element.textContent = text === undefined ? state : text;
  };
  const stateSpan = (state) => {
    const span = document.createElement('span');
    setState(span, state);
    return span;
  };
  const stepItem = (listId, event) => {
    const list = byId(listId);
    for (const item of list.children) if (item.dataset.stepId === event.stepId) return item;
    const item = document.createElement('li');
    item.dataset.stepId = event.stepId;
    const state = stateSpan('pending');
    state.dataset.role = 'state';
    const code = document.createElement('code');
    code.textContent = event.stepId;
    const description = document.createElement('span');
    description.dataset.role = 'description';
    description.textContent = event.kind;
    const error = document.createElement('span');
    error.dataset.role = 'error';
    item.append(state, ' ', code, ' ', description, error);
    list.append(item);
    return item;
  };
  const onStep = (event) => {
    const item = stepItem(event.phase === 'rollback' ? 'rollback-steps' : 'steps', event);
    setState(item.querySelector('[data-role=state]'), event.state);
    item.querySelector('[data-role=error]').textContent = event.error ? ' — ' + event.error.code + ': ' + event.error.message : '';
  };
  const runRow = (id) => {
    for (const row of document.querySelectorAll('#runs tbody tr')) if (row.dataset.runId === id) return row;
    return null;
  };
  const onRun = (event) => {
    const rollback = event.phase === 'rollback';
    if (rollback) setState(byId('rollback-state'), event.state, 'rollback ' + event.state);
    else setState(byId('run-state'), event.state);
    if (event.error) byId('run-error').textContent = event.error.code + ': ' + event.error.message;
    const cell = runRow(event.runId)?.querySelector(rollback ? '[data-role=rollback]' : '[data-role=state]');
    if (cell) cell.replaceChildren(stateSpan(event.state));
  };
  const follow = (id) => {
    if (source) source.close();
    current.dataset.live = 'true';
    source = new EventSource('/v1/runs/' + encodeURIComponent(id) + '/events');
    source.addEventListener('step', (message) => onStep(JSON.parse(message.data)));
    source.addEventListener('run', (message) => onRun(JSON.parse(message.data)));
    source.addEventListener('progress', (message) => { byId('progress').textContent = JSON.parse(message.data).message; });
    source.addEventListener('end', () => {
      source.close();
      source = null;
      current.dataset.live = 'false';
      byId('progress').textContent = '';
    });
  };
  const show = (run) => {
    runId = run.id;
    current.dataset.runId = run.id;
    byId('current-empty')?.remove();
    byId('run-id').textContent = run.id;
    byId('run-error').textContent = '';
    byId('steps').replaceChildren();
    byId('rollback-steps').replaceChildren();
    setState(byId('run-state'), run.state);
    byId('rollback-state').textContent = '';
    const body = document.querySelector('#runs tbody');
    if (body && !runRow(run.id)) {
      if (body.children.length === 1 && !body.children[0].dataset.runId) body.replaceChildren();
      const row = document.createElement('tr');
      row.dataset.runId = run.id;
      const cell = (content, role) => {
        const td = document.createElement('td');
        if (role) td.dataset.role = role;
        td.append(content);
        return td;
      };
      const code = document.createElement('code');
      code.textContent = run.id;
      row.append(cell(code), cell(run.mode), cell(stateSpan(run.state), 'state'), cell('', 'rollback'), cell(run.createdAt));
      body.prepend(row);
    }
    follow(run.id);
    // The steps still to come, from the stored plan (a run started from the CLI has none stored: they appear as they start).
    fetch('/v1/plans/' + encodeURIComponent(run.planId), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : null))
      .then((plan) => {
        if (!plan || runId !== run.id) return;
        for (const step of plan.steps) stepItem('steps', { stepId: step.id, kind: step.kind }).querySelector('[data-role=description]').textContent = step.description;
      })
      .catch(() => undefined);
  };
  const poll = async () => {
    try {
      const response = await fetch('/v1/runs?limit=1', { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (response.ok) {
        const newest = (await response.json()).runs[0];
        if (newest && newest.id !== runId) show(newest);
      }
    } catch (error) {
      // The next poll tries again.
    }
    setTimeout(poll, 1500);
  };
  if (runId && current.dataset.live === 'true') follow(runId);
  setTimeout(poll, 1500);
})();
`;
