/**
 * JSON schemas of every route: params, query strings, bodies and responses.
 * They are attached to the routes, and `GET /api/v2/openapi.json` is generated
 * from them (@fastify/swagger), so the document cannot drift from the routes.
 * Requests are checked by hand in the handlers (every problem reported at
 * once, with a JSON pointer, nothing coerced); the route tests check real
 * responses against these response schemas.
 */

const uuid = { type: 'string', format: 'uuid' } as const;
const time = { type: 'string', format: 'date-time', description: 'RFC 3339, UTC' } as const;

/** A JSON:API error document. */
export const errorBodySchema = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['status', 'title', 'code', 'detail'],
        additionalProperties: false,
        properties: {
          status: { type: 'string', description: 'The HTTP status, as a string' },
          title: { type: 'string' },
          code: { type: 'string', description: 'A stable code (docs/reference/errors.md)' },
          detail: { type: 'string', description: 'What is wrong and how to fix it' },
          source: {
            type: 'object',
            additionalProperties: false,
            properties: {
              pointer: { type: 'string', description: 'JSON pointer into the request body' },
              parameter: { type: 'string' },
              header: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

const specSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'A Datadog Workflow Automation spec: steps, triggers, inputSchema, outputSchema, connectionEnvs, handle, annotations. Validated in full; every problem is reported with a pointer.',
} as const;

const userRelationship = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['id', 'type'],
      properties: { id: { type: 'string' }, type: { type: 'string', enum: ['users'] } },
    },
  },
} as const;

const workflowResource = {
  type: 'object',
  required: ['id', 'type', 'attributes', 'relationships'],
  properties: {
    id: uuid,
    type: { type: 'string', enum: ['workflows'] },
    attributes: {
      type: 'object',
      required: ['name', 'description', 'published', 'spec', 'tags', 'createdAt', 'updatedAt'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        description: { type: 'string' },
        published: { type: 'boolean' },
        spec: { ...specSchema, nullable: true },
        tags: { type: 'array', items: { type: 'string' } },
        createdAt: time,
        updatedAt: time,
      },
    },
    relationships: {
      type: 'object',
      additionalProperties: false,
      properties: { creator: userRelationship, owner: userRelationship },
    },
  },
} as const;

/** `{data: workflow}`. */
export const workflowDocumentSchema = {
  type: 'object',
  required: ['data'],
  properties: { data: workflowResource },
} as const;

/** The list of workflows. */
export const workflowListSchema = {
  type: 'object',
  required: ['data', 'meta'],
  properties: {
    data: { type: 'array', items: workflowResource },
    meta: {
      type: 'object',
      required: ['page'],
      properties: {
        page: {
          type: 'object',
          required: ['totalCount', 'totalFilteredCount'],
          properties: { totalCount: { type: 'integer' }, totalFilteredCount: { type: 'integer' } },
        },
      },
    },
  },
} as const;

const writableAttributes = {
  name: { type: 'string', minLength: 1 },
  description: { type: 'string', maxLength: 300, default: '' },
  published: { type: 'boolean', default: true },
  spec: specSchema,
  tags: { type: 'array', items: { type: 'string' }, default: [] },
  webhookSecret: { type: 'string', description: 'Stored, never returned.' },
} as const;

/** Body of createWorkflow. */
export const createWorkflowBodySchema = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['type', 'attributes'],
      properties: {
        type: { type: 'string', enum: ['workflows'] },
        attributes: { type: 'object', required: ['name', 'spec'], properties: writableAttributes },
      },
    },
  },
} as const;

/** Body of updateWorkflow: only the attributes sent change; `data.id` is ignored. */
export const updateWorkflowBodySchema = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['type', 'attributes'],
      properties: {
        id: { type: 'string', description: 'Ignored: the path names the workflow.' },
        type: { type: 'string', enum: ['workflows'] },
        attributes: { type: 'object', properties: writableAttributes },
      },
    },
  },
} as const;

/** `{workflow_id}`. */
export const workflowParamsSchema = {
  type: 'object',
  required: ['workflow_id'],
  properties: { workflow_id: uuid },
} as const;

/** `{workflow_id, instance_id}`. */
export const instanceParamsSchema = {
  type: 'object',
  required: ['workflow_id', 'instance_id'],
  properties: { workflow_id: uuid, instance_id: uuid },
} as const;

/** Query of listWorkflows. */
export const listWorkflowsQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Page size' },
    page: { type: 'integer', minimum: 0, default: 0, description: 'Page number, 0-based' },
    sort: {
      type: 'string',
      enum: ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt'],
      description: 'Sort field; a leading "-" sorts descending. Default: newest first.',
    },
    'filter[query]': { type: 'string', description: 'Substring of the name or description, any case' },
    'filter[triggerIds]': { type: 'string', description: 'Accepted and ignored (Flowspec triggers have no ids)' },
    'filter[includeUnpublished]': { type: 'boolean', default: false },
    'filter[includeSpecs]': { type: 'boolean', default: false, description: 'Without it, `spec` is null' },
  },
} as const;

/** Query of deleteWorkflow (a Flowspec extension). */
export const deleteWorkflowQuerySchema = {
  type: 'object',
  properties: {
    cancelRunning: {
      type: 'boolean',
      default: false,
      description:
        'Flowspec extension: cancel running instances first. Without it, a workflow with running instances is not deleted (409).',
    },
  },
} as const;

/** Body of createWorkflowInstance. */
export const executeBodySchema = {
  type: 'object',
  properties: {
    meta: {
      type: 'object',
      properties: {
        payload: {
          type: 'object',
          additionalProperties: true,
          description: 'The instance input, checked against the inputSchema (defaults fill missing values)',
        },
      },
    },
  },
} as const;

/** Optional header of createWorkflowInstance and the Domo message route. */
export const idempotencyHeadersSchema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description: 'Flowspec extension: an execute with a key already used returns the instance that used it.',
    },
  },
} as const;

/** Response of createWorkflowInstance (as recorded). */
export const executeResponseSchema = {
  type: 'object',
  required: ['data', 'meta'],
  properties: {
    data: {
      type: 'object',
      required: ['id', 'type', 'attributes'],
      properties: {
        id: uuid,
        type: { type: 'string', enum: ['instances'] },
        attributes: { type: 'object', additionalProperties: false },
      },
    },
    meta: { type: 'object', required: ['workflowId'], properties: { workflowId: uuid } },
  },
} as const;

const instanceStatusSchema = {
  type: 'object',
  required: ['detailsKind', 'displayName'],
  additionalProperties: false,
  properties: {
    detailsKind: { type: 'string', enum: ['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'] },
    displayName: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed', 'Canceled'] },
  },
} as const;

const sourceSchema = {
  type: 'object',
  additionalProperties: true,
  description: '{api|manual|schedule|<kind>: {actingUser: {userUuid, userName, userEmail}}} (schedule: no user)',
} as const;

/** Query of listWorkflowInstances. */
export const listInstancesQuerySchema = {
  type: 'object',
  properties: {
    'page[size]': { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    'page[number]': { type: 'integer', minimum: 0, default: 0, description: '0-based' },
  },
} as const;

/** The list of instances, newest first. */
export const instanceListSchema = {
  type: 'object',
  required: ['data', 'meta'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'type', 'attributes'],
        properties: {
          id: uuid,
          type: { type: 'string', enum: ['instances'] },
          attributes: {
            type: 'object',
            required: ['instanceStatus', 'source', 'startTimestamp'],
            additionalProperties: false,
            properties: {
              instanceStatus: instanceStatusSchema,
              source: sourceSchema,
              startTimestamp: time,
              endTimestamp: time,
            },
          },
        },
      },
    },
    meta: {
      type: 'object',
      required: ['canceledCount', 'failedCount', 'succeededCount', 'page'],
      properties: {
        canceledCount: { type: 'integer' },
        failedCount: { type: 'integer' },
        succeededCount: { type: 'integer' },
        page: {
          type: 'object',
          required: ['totalCount', 'totalFilteredCount'],
          properties: { totalCount: { type: 'integer' }, totalFilteredCount: { type: 'integer' } },
        },
      },
    },
  },
} as const;

const stepSchema = {
  type: 'object',
  required: ['name', 'actionId', 'status', 'attempts', 'branch', 'output', 'error', 'startedAt', 'completedAt'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    actionId: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELED'] },
    attempts: { type: 'integer' },
    branch: { type: 'string', nullable: true },
    output: { description: 'The step output (any JSON), null until it succeeded' },
    error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, attempts: { type: 'integer' } },
    },
    startedAt: { ...time, nullable: true },
    completedAt: { ...time, nullable: true },
  },
} as const;

/** Response of getWorkflowInstance. */
export const instanceDocumentSchema = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['id', 'type', 'attributes', 'relationships'],
      properties: {
        id: uuid,
        type: { type: 'string', enum: ['instances'] },
        attributes: {
          type: 'object',
          required: [
            'instanceStatus',
            'startTimestamp',
            'trigger',
            'outputs',
            'source',
            'stepStateAssociations',
            'error',
            'steps',
          ],
          additionalProperties: false,
          properties: {
            instanceStatus: instanceStatusSchema,
            startTimestamp: time,
            endTimestamp: { ...time, description: 'Absent while the instance runs' },
            trigger: { type: 'object', additionalProperties: true, description: 'The input after defaults' },
            outputs: {
              type: 'object',
              additionalProperties: true,
              description: 'Output parameters by name; {} until it succeeded',
            },
            source: sourceSchema,
            stepStateAssociations: {
              type: 'array',
              description: 'Every step that left PENDING',
              items: {
                type: 'object',
                required: ['stepName', 'stepState'],
                additionalProperties: false,
                properties: { stepName: { type: 'string' }, stepState: { type: 'string' } },
              },
            },
            error: {
              type: 'object',
              nullable: true,
              description: 'Flowspec: why the instance failed',
              required: ['step', 'code', 'message'],
              properties: {
                step: { type: 'string', nullable: true },
                code: { type: 'string' },
                message: { type: 'string' },
              },
            },
            steps: { type: 'array', items: stepSchema, description: 'Flowspec: every step of the spec version' },
          },
        },
        relationships: {
          type: 'object',
          required: ['specVersion', 'workflow'],
          properties: {
            specVersion: {
              type: 'object',
              properties: {
                data: {
                  type: 'object',
                  properties: { id: uuid, type: { type: 'string', enum: ['spec_versions'] } },
                },
              },
            },
            workflow: {
              type: 'object',
              properties: {
                data: { type: 'object', properties: { id: uuid, type: { type: 'string', enum: ['workflows'] } } },
              },
            },
          },
        },
      },
    },
    included: {
      type: 'array',
      description: 'The spec version the instance runs and its workflow (while it exists), as recorded',
      items: {
        type: 'object',
        required: ['id', 'type', 'attributes'],
        properties: {
          id: uuid,
          type: { type: 'string', enum: ['spec_versions', 'workflows'] },
          attributes: { type: 'object', additionalProperties: true },
        },
      },
    },
    meta: {
      type: 'object',
      properties: {
        outputsTooBig: { type: 'boolean' },
        sourceTooBig: { type: 'boolean' },
        triggerTooBig: { type: 'boolean' },
      },
    },
  },
} as const;

/** Response of cancelWorkflowInstance (as recorded: an empty object). */
export const emptyObjectSchema = { type: 'object', additionalProperties: false } as const;

const domoInstanceProperties = {
  id: uuid,
  modelId: uuid,
  modelName: { type: 'string' },
  modelVersion: { type: 'string', description: 'The spec version, e.g. "3.0.0"' },
  createdBy: { type: 'string', nullable: true },
  createdOn: time,
  updatedBy: { type: 'string', nullable: true },
  updatedOn: time,
  status: {
    type: 'string',
    nullable: true,
    enum: ['IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELED', null],
    description: 'null until the engine picked the instance up',
  },
} as const;

/** Response of the Domo message route. */
export const domoInstanceSchema = {
  type: 'object',
  required: Object.keys(domoInstanceProperties),
  additionalProperties: false,
  properties: domoInstanceProperties,
} as const;

/** Response of the Domo cancel route. */
export const domoCanceledInstanceSchema = {
  type: 'object',
  required: [...Object.keys(domoInstanceProperties), 'deploymentId', 'bpmnProcessId', 'bpmnProcessName', 'isTestRun'],
  additionalProperties: false,
  properties: {
    ...domoInstanceProperties,
    deploymentId: { ...uuid, description: 'The spec version id' },
    bpmnProcessId: { ...uuid, description: 'The workflow id' },
    bpmnProcessName: { type: 'string' },
    isTestRun: { type: 'boolean' },
  },
} as const;

/** Body of the Domo message route. */
export const domoMessageBodySchema = {
  type: 'object',
  required: ['modelId'],
  properties: {
    messageName: { type: 'string', description: 'Recorded on the instance; otherwise free-form' },
    version: {
      type: 'string',
      description:
        'The spec version to run ("3" or "3.0.0"); any earlier version can be started. Default: the current one.',
    },
    modelId: { ...uuid, description: 'The workflow id' },
    data: { type: 'object', additionalProperties: true, description: 'The instance input' },
  },
} as const;

/** `{instanceId}`. */
export const domoInstanceParamsSchema = {
  type: 'object',
  required: ['instanceId'],
  properties: { instanceId: uuid },
} as const;

/** `{modelId}`. */
export const domoModelParamsSchema = {
  type: 'object',
  required: ['modelId'],
  properties: { modelId: uuid },
} as const;

/** A Domo access list. */
export const permissionsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'type', 'permissions'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', description: 'A key pair user (type USER) or a group name (type GROUP)' },
      name: { type: 'string' },
      type: { type: 'string', enum: ['USER', 'GROUP'] },
      permissions: {
        type: 'array',
        items: {
          type: 'string',
          enum: ['ADMIN', 'SHARE', 'DELETE', 'WRITE', 'READ', 'EXPORT', 'EXECUTE', 'UPDATE_CONTENT'],
        },
      },
    },
  },
} as const;

/** Query of the schedule preview (a Flowspec extension). */
export const schedulePreviewQuerySchema = {
  type: 'object',
  properties: { count: { type: 'integer', minimum: 1, maximum: 1000, default: 10 } },
} as const;

/** Response of the schedule preview. */
export const schedulePreviewSchema = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['id', 'type', 'attributes'],
      properties: {
        id: { ...uuid, description: 'The workflow id' },
        type: { type: 'string', enum: ['workflow_schedules'] },
        attributes: {
          type: 'object',
          required: ['fireTimes'],
          additionalProperties: false,
          properties: {
            fireTimes: {
              type: 'array',
              items: time,
              description: 'The next fire times after now (none while the workflow is unpublished)',
            },
          },
        },
      },
    },
  },
} as const;

/** Response of GET /healthz. */
export const healthSchema = {
  type: 'object',
  required: ['status', 'store'],
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, store: { type: 'string' } },
} as const;

/** Standard error responses of a route, keyed by status. */
export function errorResponses(...statuses: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of statuses) out[String(s)] = { description: errorDescriptions[s] ?? 'Error', ...errorBodySchema };
  return out;
}

const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'Invalid request (every problem listed, each with its pointer)',
  403: 'Missing or wrong keys, a missing scope, or the access list refuses',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body over the size limit',
  415: 'Body not JSON',
  429: 'Over the apiTrigger rate limit (Retry-After says when to retry)',
  503: 'Shutting down',
};
