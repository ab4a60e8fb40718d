import { z } from 'zod';

type Json = Record<string, unknown>;

/**
 * zod to JSON Schema for OpenAPI 3.1. Schemas named with `.meta({ id })` become
 * components/schemas entries that operations reference, so the reference lists each model once.
 */
export function createSchemaCollector() {
  const components: Record<string, Json> = {};
  const relink = <T>(o: T): T => JSON.parse(JSON.stringify(o).replaceAll('"#/$defs/', '"#/components/schemas/'));

  function toSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
    const { $defs, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json & { $defs?: Record<string, Json> };
    delete root.$schema; // the document's dialect (OpenAPI 3.1) applies
    for (const [name, def] of Object.entries($defs ?? {})) {
      const linked = relink(def);
      // One name, one shape: a model whose request and response forms differ needs two names.
      if (components[name] && JSON.stringify(components[name]) !== JSON.stringify(linked)) throw new Error(`OpenAPI: two different schemas are named ${name}`);
      components[name] = linked;
    }
    return relink(root);
  }

  return { toSchema, components };
}

/** The first example a schema declares with `.meta({ examples })`, shown by the reference. */
export const exampleOf = (schema: z.ZodType | undefined): unknown =>
  schema ? (z.globalRegistry.get(schema)?.examples as unknown[] | undefined)?.[0] : undefined;
