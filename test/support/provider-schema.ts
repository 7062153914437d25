/**
 * The OpenStack provider's real schema (terraform providers schema -json), read in place from
 * ../shared/provider-schemas/openstack.json or OPENSTACK_PROVIDER_SCHEMA, and a generic check of
 * synthesized resources against it. The repository holds no copy of the schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface SchemaAttribute {
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
}
interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<
    string,
    { readonly nesting_mode: string; readonly min_items?: number; readonly max_items?: number; readonly block: SchemaBlock }
  >;
}

export const PROVIDER_SCHEMA_PATH = process.env.OPENSTACK_PROVIDER_SCHEMA ?? resolve('..', 'shared', 'provider-schemas', 'openstack.json');
export const providerSchemaAvailable = existsSync(PROVIDER_SCHEMA_PATH);

export function loadResourceSchemas(): { resources: Record<string, { block: SchemaBlock }>; dataSources: Record<string, { block: SchemaBlock }> } {
  const raw = JSON.parse(readFileSync(PROVIDER_SCHEMA_PATH, 'utf8'));
  const provider = raw.provider_schemas['registry.terraform.io/terraform-provider-openstack/openstack'];
  return { resources: provider.resource_schemas, dataSources: provider.data_source_schemas };
}

/** Terraform's meta-arguments, valid on every resource whatever its schema. */
const META = new Set(['//', 'count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);

/** Every problem with `body` against `block`: unknown arguments or blocks, missing required ones, wrong block counts. */
export function checkAgainstSchema(address: string, body: Record<string, unknown>, block: SchemaBlock, meta = true): string[] {
  const problems: string[] = [];
  const attributes = block.attributes ?? {};
  const blocks = block.block_types ?? {};
  for (const key of Object.keys(body)) {
    if (meta && META.has(key)) continue;
    if (key in attributes) {
      const a = attributes[key]!;
      if (!a.required && !a.optional) problems.push(`${address}.${key}: is computed only, cannot be set`);
      continue;
    }
    if (key in blocks) continue;
    problems.push(`${address}.${key}: not an argument or block of this resource`);
  }
  for (const [key, a] of Object.entries(attributes)) {
    if (a.required && !(key in body)) problems.push(`${address}.${key}: required argument is not set`);
  }
  for (const [key, b] of Object.entries(blocks)) {
    const value = body[key];
    const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if ((b.min_items ?? 0) > items.length) problems.push(`${address}.${key}: needs at least ${b.min_items} block(s), has ${items.length}`);
    if (b.max_items && items.length > b.max_items) problems.push(`${address}.${key}: allows at most ${b.max_items} block(s), has ${items.length}`);
    items.forEach((item, i) => {
      if (item && typeof item === 'object')
        problems.push(...checkAgainstSchema(`${address}.${key}[${i}]`, item as Record<string, unknown>, b.block, false));
    });
  }
  return problems;
}

/** Checks every openstack_* resource and data source of a synthesized stack. */
export function checkSynthesized(synth: {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}): { checked: number; problems: string[] } {
  const { resources, dataSources } = loadResourceSchemas();
  const problems: string[] = [];
  let checked = 0;
  const visit = (kind: string, all: typeof synth.resource, schemas: Record<string, { block: SchemaBlock }>) => {
    for (const [type, instances] of Object.entries(all ?? {})) {
      if (!type.startsWith('openstack_')) continue;
      const schema = schemas[type];
      for (const [name, body] of Object.entries(instances)) {
        checked++;
        if (!schema) problems.push(`${kind}.${type}.${name}: no such ${kind} type in the provider`);
        else problems.push(...checkAgainstSchema(`${type}.${name}`, body, schema.block));
      }
    }
  };
  visit('resource', synth.resource, resources);
  visit('data', synth.data, dataSources);
  return { checked, problems };
}
