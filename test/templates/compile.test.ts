import { compileSource, generatedHeader, TemplateError } from '../../src/templates/compile.js';

describe('the strict template compiler', () => {
  it('fails naming the template, the missing field and the expression that uses it', () => {
    // GIVEN a template that uses a nested field
    const render = compileSource<object>('example.conf.hbs', '[global]\nfsid = {{fsid}}\nmon_host = {{mon.host}}\n');
    // WHEN the data lacks it
    // THEN the error names the file, line and column, the field and the expression
    expect(() => render({ fsid: 'x', mon: {} })).toThrowErrorMatchingInlineSnapshot(
      `[TemplateError: templates/example.conf.hbs:3:14: missing field "host" (used by {{mon.host}}); the data passed to the template has no such field, so fill it in the template's data builder]`,
    );
  });

  it('fails with a TemplateError that carries the template and field names', () => {
    // GIVEN a template with one field
    const render = compileSource<object>('x.hbs', '{{a}}');
    // WHEN it renders without the field
    let caught: unknown;
    try {
      render({});
    } catch (err) {
      caught = err;
    }
    // THEN the error is typed and names both
    expect(caught).toBeInstanceOf(TemplateError);
    expect(caught).toMatchObject({ template: 'x.hbs', field: 'a' });
  });

  it('does not HTML-escape values (config files keep =, &, < and quotes as they are)', () => {
    // GIVEN a value full of characters Handlebars escapes by default
    const render = compileSource<{ v: string }>('x.hbs', 'k = {{v}}');
    // WHEN rendered
    // THEN the value is unchanged
    expect(render({ v: `a=b&c<d>"e'` })).toBe(`k = a=b&c<d>"e'`);
  });

  it('joins lists with the join helper', () => {
    const render = compileSource<{ l: string[] }>('x.hbs', '{{join l ","}}');
    expect(render({ l: ['a', 'b', 'c'] })).toBe('a,b,c');
  });

  it('marks generated files with their source and how to change them', () => {
    expect(generatedHeader('templates/ceph.conf.hbs')).toMatchInlineSnapshot(`
      "# Generated from templates/ceph.conf.hbs by \`testbed render\`; do not edit.
      # Change testbed.yaml (overrides go in its overrides sections) and render again."
    `);
  });
});
