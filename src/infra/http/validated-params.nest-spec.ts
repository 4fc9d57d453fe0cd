/**
 * Validation is bound per parameter (VALIDATE), not as a global pipe (see validation-pipe.ts): so
 * every DTO that a route takes from the body, the query or the path must carry it, or that route
 * would accept anything. This walks every controller in src and checks each route parameter.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Body, Controller, Param, Post } from '@nestjs/common';
import { VALIDATE } from './validation-pipe';

const ROUTE_ARGS_METADATA = '__routeArguments__'; // @nestjs/common/constants (deep imports are not loadable here)
const PATH_METADATA = 'path';
/** RouteParamtypes.BODY / QUERY / PARAM; checked against a real decorator below. */
const SOURCES: Record<string, string> = { '3': 'body', '4': 'query', '5': 'path' };
const PRIMITIVES: unknown[] = [String, Number, Boolean];

interface RouteArg {
  index: number;
  data?: unknown;
  pipes: unknown[];
}

const SRC = join(__dirname, '../..');

function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return controllerFiles(path);
    return e.name.endsWith('.controller.ts') ? [path] : [];
  });
}

/** Every (controller, handler, parameter) that takes its value from the body, query or path. */
function requestParams(): { where: string; source: string; data: unknown; metatype: unknown; pipes: unknown[] }[] {
  const found = [];
  for (const file of controllerFiles(SRC)) {
    // Every controller file on disk, registered or not: loaded by path, so require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(file) as Record<string, unknown>;
    for (const cls of Object.values(exports)) {
      if (typeof cls !== 'function' || Reflect.getMetadata(PATH_METADATA, cls) === undefined) continue;
      const proto = (cls as { prototype: object }).prototype;
      for (const method of Object.getOwnPropertyNames(proto)) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, method) ?? {}) as Record<string, RouteArg>;
        const types = (Reflect.getMetadata('design:paramtypes', proto, method) ?? []) as unknown[];
        for (const [key, arg] of Object.entries(args)) {
          const source = SOURCES[key.split(':')[0]];
          if (!source) continue;
          const where = `${relative(SRC, file)} ${cls.name}.${method}(#${arg.index})`;
          found.push({ where, source, data: arg.data, metatype: types[arg.index], pipes: arg.pipes });
        }
      }
    }
  }
  return found;
}

describe('every DTO parameter of every route is validated', () => {
  it('reads the parameter kinds the way Nest records them', () => {
    @Controller('probe')
    class Probe {
      @Post(':id')
      handle(@Param('id') _id: string, @Body(VALIDATE) _body: object) {}
    }
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handle') as Record<string, RouteArg>;
    const byIndex = Object.fromEntries(Object.entries(args).map(([key, a]) => [a.index, SOURCES[key.split(':')[0]]]));
    expect(byIndex).toEqual({ 0: 'path', 1: 'body' });
  });

  const params = requestParams();

  it('finds the routes (a walk that finds nothing proves nothing)', () => {
    expect(new Set(params.map((p) => p.where.split(' ')[0])).size).toBeGreaterThanOrEqual(10);
    expect(params.filter((p) => p.pipes.includes(VALIDATE)).length).toBeGreaterThanOrEqual(25);
  });

  it('a whole body, query or path object is always a DTO class with the validation pipe', () => {
    const unvalidated = params
      .filter((p) => p.data === undefined)
      .filter((p) => typeof p.metatype !== 'function' || p.metatype === Object || !p.pipes.includes(VALIDATE))
      .map((p) => `${p.where} (${p.source})`);
    expect(unvalidated).toEqual([]);
  });

  it('a single named value is a plain string, number or boolean, or a DTO with the validation pipe', () => {
    const unvalidated = params
      .filter((p) => p.data !== undefined)
      .filter((p) => !PRIMITIVES.includes(p.metatype) && !p.pipes.includes(VALIDATE))
      .map((p) => `${p.where} (${p.source} '${String(p.data)}')`);
    expect(unvalidated).toEqual([]);
  });
});
