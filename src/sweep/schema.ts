// The shape of a sweep config (YAML or JSON) as a JSON Schema, checked by ajv before anything else reads it. The
// schema checks only the shape — keys, types, lists; which train flags, methods and method options exist and which
// values they take come from their one declaration (TRAIN_OPTIONS, the method registry), checked in config.ts. The
// train section lists each flag with the type, help and default of its declaration (for an editor that reads the
// schema); a name it does not list reaches config.ts, which refuses it naming the flags there are.
import { TRAIN_OPTIONS } from '../train/config.ts';
import { schemaProperties } from '../util/options.ts';

/** A value a train flag or a method option takes in a config file. */
const SCALAR = { type: ['string', 'number', 'boolean'] } as const;
/** Train flags by their long name (`eval-items: 60`). */
const TRAIN = { type: 'object', properties: schemaProperties(TRAIN_OPTIONS), additionalProperties: SCALAR } as const;
/** Method options by key (`teacher: sync:10`); checked by the method registry. */
const OPT = { type: 'object', additionalProperties: SCALAR } as const;
/** Row and override names end up in folder names (`<method>-<name>/seed-<n>`). */
export const OVERRIDE_NAME = '^[A-Za-z0-9][A-Za-z0-9._=,:+-]*$';

export const SWEEP_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['methods', 'seeds'],
  properties: {
    // Optional in a file: the file's name (src/sweep/config.ts readSweepConfig).
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    // null (as sweep.json records it): the committed base.
    base: { type: ['string', 'null'], minLength: 1 },
    methods: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
    seeds: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } },
    train: TRAIN,
    opt: { type: 'object', additionalProperties: OPT },
    grid: { type: 'object', additionalProperties: { type: 'array', minItems: 1, uniqueItems: true, items: SCALAR } },
    overrides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'methods'],
        properties: {
          name: { type: 'string', pattern: OVERRIDE_NAME },
          methods: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
          train: TRAIN,
          opt: OPT,
        },
      },
    },
    include_plain: { type: 'boolean' },
    // Resource requests of --executor slurm: checked by src/sweep/slurm.ts slurmSection, and left out of the
    // canonical config (they do not change results).
    slurm: { type: 'object' },
  },
} as const;
