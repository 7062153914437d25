/**
 * YAML outputs (inventory.yml, clouds.yaml, policy.yaml) are data, not text: they are serialized
 * from their typed data with the `yaml` library, so quoting is always right, under the same header.
 */
import { stringify } from 'yaml';
import { generatedHeader } from './compile.js';

export function renderYamlFile<T>(source: string, data: T): string {
  return `${generatedHeader(source)}\n${stringify(data, { lineWidth: 0, nullStr: '' })}`;
}
