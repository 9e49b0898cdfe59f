/**
 * `npm start` until the REST server lands: runs a small workflow through the
 * engine on the in-memory store and prints its result.
 */
import { createEngine } from './engine.js';
import { createMemoryStore } from './store/memory-store.js';

const engine = createEngine({ store: createMemoryStore() });
engine.registerAction('example.greet', (params) => ({ greeting: `Hello, ${String(params.who)}!` }));

const workflow = await engine.createWorkflow({
  name: 'Greeting',
  spec: {
    triggers: [{ startStepNames: ['Check'], workflowTrigger: {} }],
    inputSchema: { parameters: [{ name: 'who', type: 'STRING', defaultValue: 'world' }] },
    outputSchema: { parameters: [{ name: 'message', type: 'STRING', value: '{{ Steps.Greet.greeting }}' }] },
    steps: [
      {
        name: 'Check',
        actionId: 'com.datadoghq.core.if',
        parameters: [
          { name: 'conditions', value: [{ comparisonOperator: 'isNotEmpty', leftValue: '{{ Trigger.who }}' }] },
        ],
        outboundEdges: [
          { nextStepName: 'Greet', branchName: 'true' },
          { nextStepName: 'Complain', branchName: 'false' },
        ],
      },
      { name: 'Greet', actionId: 'example.greet', parameters: [{ name: 'who', value: '{{ Trigger.who }}' }] },
      {
        name: 'Complain',
        actionId: 'com.datadoghq.core.error',
        parameters: [{ name: 'message', value: 'nobody to greet' }],
      },
    ],
  },
});

const who = process.argv[2] ?? 'Flowspec';
const { instanceId } = await engine.execute(workflow.id, { who });
const result = await engine.waitFor(instanceId);
console.log(
  JSON.stringify(
    {
      instance: result.id,
      status: result.status,
      outputs: result.outputs,
      steps: result.steps.map((s) => `${s.name}: ${s.status}`),
    },
    null,
    2,
  ),
);
await engine.stop();
