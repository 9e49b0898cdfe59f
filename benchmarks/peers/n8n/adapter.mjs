// The n8n-core peer adapter: n8n's own WorkflowExecute (n8n-core) on a Workflow (n8n-workflow), with a
// hand-built node-type registry and IWorkflowExecuteAdditionalData. This file lives in its own package
// (installed on demand, outside the pnpm workspace) so that n8n and its zod 3 resolve from here only.
// Exports makeN8nAdapter(counter, stepsOf) -> the adapter object of ../adapters.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// n8n-core's InstanceSettings writes <N8N_USER_FOLDER>/.n8n/config (an encryption key) on first use:
// point it at a temporary folder instead of ~/.n8n, with a fixed key (no "generating a key" log).
const userFolder = mkdtempSync(join(tmpdir(), 'flowspec-n8n-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY = 'flowspec-benchmark-only';
process.on('exit', () => rmSync(userFolder, { recursive: true, force: true }));

// n8n-core is CommonJS and requires n8n-workflow's CommonJS build; n8n-workflow's ESM build does not
// load in Node (extensionless imports) and would be a second copy anyway: require both.
const require = createRequire(import.meta.url);
const { ExecutionLifecycleHooks, WorkflowExecute } = require('n8n-core');
const { Workflow } = require('n8n-workflow');

const NOOP = 'bench.noop';
const JOIN = 'bench.join';
// What a production run started by a trigger uses ('manual' is the editor's test run, which also
// pushes every node's data to the UI).
const MODE = 'trigger';

function description(name, inputs) {
  return {
    displayName: name,
    name,
    group: ['transform'],
    version: 1,
    description: 'benchmark step',
    defaults: { name },
    inputs,
    outputs: ['main'],
    properties: [],
  };
}

/**
 * The node types a workflow of this workload needs: a noop whose execute() counts one step and passes
 * its input items on, and for the fan-out a join with `joinInputs` main inputs that appends the items
 * of all of them (what n8n's Merge node does in "append" mode, with as many inputs as branches).
 */
function nodeTypes(hit, joinInputs) {
  const types = {
    [NOOP]: {
      description: description(NOOP, ['main']),
      async execute() {
        hit();
        return [this.getInputData()];
      },
    },
    [JOIN]: {
      description: description(
        JOIN,
        Array.from({ length: joinInputs }, () => 'main'),
      ),
      async execute() {
        hit();
        const items = [];
        for (let i = 0; i < joinInputs; i++) items.push(...this.getInputData(i));
        return [items];
      },
    },
  };
  const get = (type) => {
    const t = types[type];
    if (!t) throw new Error(`n8n-core adapter: unknown node type ${type}`);
    return t;
  };
  return { getByName: get, getByNameAndVersion: get, getKnownTypes: () => ({}) };
}

const node = (name, type, position) => ({ id: name, name, type, typeVersion: 1, position, parameters: {} });
const edge = (from, to, index = 0) => ({ [from]: { main: [[{ node: to, type: 'main', index }]] } });

/** Nodes and connections of a chain of n noops, or of Start -> n noops -> Join. */
function graph(w) {
  const nodes = [];
  let connections = {};
  if (w.kind === 'chain' || w.kind === 'concurrent') {
    const n = w.kind === 'chain' ? w.n : w.steps;
    for (let i = 0; i < n; i++) nodes.push(node(`S${i}`, NOOP, [i * 200, 0]));
    for (let i = 0; i + 1 < n; i++) Object.assign(connections, edge(`S${i}`, `S${i + 1}`));
  } else {
    nodes.push(node('Start', NOOP, [0, 0]));
    const fan = [];
    for (let i = 0; i < w.n; i++) {
      nodes.push(node(`F${i}`, NOOP, [200, i * 100]));
      fan.push({ node: `F${i}`, type: 'main', index: 0 });
      Object.assign(connections, edge(`F${i}`, 'Join', i));
    }
    nodes.push(node('Join', JOIN, [400, 0]));
    connections = { ...connections, Start: { main: [fan] } };
  }
  return { nodes, connections };
}

/** What WorkflowExecute and the node contexts read from the host (the n8n server fills these in). */
function additionalData(hooks, executionId) {
  const unavailable = (what) => async () => {
    throw new Error(`n8n-core adapter: ${what} is not available in the benchmark`);
  };
  return {
    hooks,
    executionId,
    currentNodeExecutionIndex: 0,
    credentialsHelper: {
      getParentTypes: () => [],
      authenticate: unavailable('credentials'),
      preAuthentication: unavailable('credentials'),
      getCredentials: unavailable('credentials'),
      getDecrypted: unavailable('credentials'),
      updateCredentials: unavailable('credentials'),
      updateCredentialsOauthTokenData: unavailable('credentials'),
      getCredentialsProperties: () => [],
    },
    executeWorkflow: unavailable('executeWorkflow'),
    getRunExecutionData: async () => undefined,
    getRuntimeCredential: async () => undefined,
    startRunnerTask: unavailable('task runners'),
    logAiEvent: () => {},
    variables: {},
    restApiUrl: 'http://localhost:5678/rest',
    instanceBaseUrl: 'http://localhost:5678/',
    formBaseUrl: 'http://localhost:5678/form',
    formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
    formTestBaseUrl: 'http://localhost:5678/form-test',
    webhookBaseUrl: 'http://localhost:5678/webhook',
    webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
    webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
    mcpBaseUrl: 'http://localhost:5678/mcp',
    mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
  };
}

export function makeN8nAdapter(counter, stepsOf) {
  return {
    name: 'n8n-core',
    supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
    async prepare(w) {
      const c = counter();
      const { nodes, connections } = graph(w);
      const workflowData = {
        id: `bench-${w.kind}`,
        name: `bench ${w.kind}`,
        active: false,
        nodes,
        connections,
        settings: { executionOrder: 'v1' },
        createdAt: new Date(),
        updatedAt: new Date(),
      };
      // Built once, like the other adapters' machine/model: each execution gets its own
      // WorkflowExecute, lifecycle hooks and additional data.
      const workflow = new Workflow({
        id: workflowData.id,
        name: workflowData.name,
        nodes,
        connections,
        active: false,
        nodeTypes: nodeTypes(() => c.hit(), w.kind === 'fanout' ? w.n : 1),
        settings: workflowData.settings,
      });
      const startNode = workflow.getNode(nodes[0].name);
      const last = nodes[nodes.length - 1].name;
      let executions = 0;
      let shapeChecked = false;
      const one = async () => {
        const executionId = String(++executions);
        const hooks = new ExecutionLifecycleHooks(MODE, executionId, workflowData);
        const run = await new WorkflowExecute(additionalData(hooks, executionId), MODE).run({ workflow, startNode });
        const { error, lastNodeExecuted, runData } = run.data.resultData;
        if (run.status !== 'success' || error)
          throw new Error(`n8n-core: run ended ${run.status}: ${error?.message ?? ''}`);
        if (!shapeChecked) {
          // Once: the last node ran last and once; the fan-out's join got the item of every branch.
          const items = runData[last]?.[0]?.data?.main?.[0]?.length;
          if (lastNodeExecuted !== last || runData[last].length !== 1 || items !== (w.kind === 'fanout' ? w.n : 1))
            throw new Error(`n8n-core: ${last} did not run once, last, with every branch's item`);
          shapeChecked = true;
        }
      };
      return {
        async run() {
          c.reset();
          if (w.kind === 'concurrent') {
            const all = [];
            for (let i = 0; i < w.n; i++) all.push(one());
            await Promise.all(all);
          } else await one();
          c.expect(stepsOf(w), 'n8n-core');
        },
      };
    },
  };
}
