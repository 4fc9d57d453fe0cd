/**
 * Validation is bound per parameter (VALIDATE), not as a global pipe (see validation-pipe.ts): so
 * every DTO that a route takes from the body, the query or the path must carry it, or that route
 * would accept anything. This walks every controller in src and checks each route parameter, and
 * that every route a body can be sent to says what it takes: a validated DTO, or NO_BODY.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { NO_BODY, NoBody } from './no-body';
import { VALIDATE } from './validation-pipe';

const ROUTE_ARGS_METADATA = '__routeArguments__'; // @nestjs/common/constants (deep imports are not loadable here)
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
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

interface RequestParam {
  where: string;
  source: string;
  data: unknown;
  metatype: unknown;
  pipes: unknown[];
}

interface Route {
  where: string;
  /** Nest's RequestMethod number; checked against real decorators below. */
  method: number;
  params: RequestParam[];
}

/** Every route handler of the given controller classes, with its body, query and path parameters. */
function routesOf(classes: unknown[], file: string): Route[] {
  const routes: Route[] = [];
  for (const cls of classes) {
    if (typeof cls !== 'function' || Reflect.getMetadata(PATH_METADATA, cls) === undefined) continue;
    const proto = (cls as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = typeof proto[name] === 'function' ? Reflect.getMetadata(METHOD_METADATA, proto[name]) : undefined;
      if (typeof method !== 'number') continue;
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, name) ?? {}) as Record<string, RouteArg>;
      const types = (Reflect.getMetadata('design:paramtypes', proto, name) ?? []) as unknown[];
      const where = `${file} ${cls.name}.${name}`;
      const params = Object.entries(args).flatMap(([key, arg]) => {
        const source = SOURCES[key.split(':')[0]];
        if (!source) return [];
        return [
          { where: `${where}(#${arg.index})`, source, data: arg.data, metatype: types[arg.index], pipes: arg.pipes },
        ];
      });
      routes.push({ where, method, params });
    }
  }
  return routes;
}

/** Every route of every controller file on disk, registered or not: loaded by path, so require(). */
function allRoutes(): Route[] {
  return controllerFiles(SRC).flatMap((file) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    routesOf(Object.values(require(file) as Record<string, unknown>), relative(SRC, file)),
  );
}

/** Methods whose body Fastify parses (it ignores a GET's or HEAD's): the route must say what it takes. */
function bodyMethods(): Set<number> {
  @Controller('probe')
  class Methods {
    @Post() post() {}
    @Put() put() {}
    @Patch() patch() {}
    @Delete() delete() {}
    @Get() get() {}
  }
  const [post, put, patch, del, get] = routesOf([Methods], 'probe').map((r) => r.method);
  expect(new Set([post, put, patch, del, get]).size).toBe(5);
  return new Set([post, put, patch, del]);
}

/** A route's whole-body parameter: a validated DTO, or NO_BODY. */
const takesBodyAsSaid = (p: RequestParam) =>
  p.source === 'body' &&
  p.data === undefined &&
  (p.pipes.includes(NO_BODY) ||
    (p.pipes.includes(VALIDATE) && typeof p.metatype === 'function' && p.metatype !== Object));

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

  const routes = allRoutes();
  const params = routes.flatMap((r) => r.params);

  it('finds the routes (a walk that finds nothing proves nothing)', () => {
    expect(new Set(params.map((p) => p.where.split(' ')[0])).size).toBeGreaterThanOrEqual(10);
    expect(params.filter((p) => p.pipes.includes(VALIDATE)).length).toBeGreaterThanOrEqual(25);
  });

  it('a whole body, query or path object is always a DTO class with the validation pipe (or NO_BODY)', () => {
    const unvalidated = params
      .filter((p) => p.data === undefined && !(p.source === 'body' && p.pipes.includes(NO_BODY)))
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

  it('every POST, PUT, PATCH and DELETE route takes a validated DTO body or refuses any body (NO_BODY)', () => {
    const methods = bodyMethods();
    const withBody = routes.filter((r) => methods.has(r.method));
    expect(withBody.length).toBeGreaterThanOrEqual(20);
    expect(withBody.filter((r) => r.params.some((p) => p.pipes.includes(NO_BODY))).length).toBeGreaterThanOrEqual(3);
    const unsaid = withBody.filter((r) => r.params.filter(takesBodyAsSaid).length !== 1).map((r) => r.where);
    expect(unsaid).toEqual([]);
  });

  it('the route check tells a route that says nothing about its body from one that does', () => {
    @Controller('probe')
    class Probe {
      @Post('silent') silent(@Param('id') _id: string) {}
      @Post('refuses') refuses(@NoBody() _body: undefined) {}
      @Delete('unvalidated') unvalidated(@Body() _body: object) {}
    }
    const said = routesOf([Probe], 'probe').map((r) => [r.where.split('.')[1], r.params.some(takesBodyAsSaid)]);
    expect(said).toEqual([
      ['silent', false],
      ['refuses', true],
      ['unvalidated', false],
    ]);
  });
});
