/**
 * The ValidationPipe every DTO parameter carries (VALIDATE) inside a Nest testing module on
 * Fastify, with the ProblemFilter: what a client sees for each kind of bad input.
 */
import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { PageQueryDto } from './page-query.dto';
import { VALIDATE } from './validation-pipe';
import { httpApp, type HttpApp } from '../../../test/nest-unit/http-app';

class AddressDto {
  @IsString()
  @MaxLength(20)
  city: string;
}

class ProfileDto {
  @IsString()
  @MaxLength(10)
  name: string;

  @IsInt()
  @Min(18)
  age: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}

@Controller('probe')
class ProbeController {
  @Post('profile')
  profile(@Body(VALIDATE) body: ProfileDto) {
    return { isDto: body instanceof ProfileDto, addressIsDto: body.address instanceof AddressDto, body };
  }

  @Get('page')
  page(@Query(VALIDATE) query: PageQueryDto) {
    return { limit: query.limit, type: typeof query.limit };
  }
}

describe('the DTO ValidationPipe (VALIDATE)', () => {
  let http: HttpApp;
  beforeAll(async () => {
    http = await httpApp([ProbeController]);
  });
  afterAll(() => http.app.close());

  it('hands the handler an instance of the DTO, nested DTOs included', async () => {
    const res = await http.inject('POST', '/probe/profile', { name: 'Ada', age: 36, address: { city: 'London' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ isDto: true, addressIsDto: true, body: { name: 'Ada', age: 36, address: { city: 'London' } } });
  });

  it('refuses an unknown field with 400 VALIDATION_FAILED problem+json naming it (not silently dropped)', async () => {
    const res = await http.inject('POST', '/probe/profile', { name: 'Ada', age: 36, isAdmin: true });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/probe/profile' });
    expect(res.body.errors).toEqual([{ field: 'isAdmin', message: 'property isAdmin should not exist' }]);
  });

  it('reports every failing constraint of every field, with dotted paths for nested fields', async () => {
    const res = await http.inject('POST', '/probe/profile', { name: 'x'.repeat(11), age: 'old', address: { city: 7 } });
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields.filter((f) => f === 'age')).toHaveLength(2); // not an integer AND below 18: no stop at the first
    expect(fields).toContain('name');
    expect(fields).toContain('address.city');
    expect(new Set(fields)).toEqual(new Set(['name', 'age', 'address.city']));
  });

  it('never echoes a submitted value in the problem (passwords and tokens travel in bodies)', async () => {
    const secret = 'Sup3r-Secret-Value-0123456789';
    const res = await http.inject('POST', '/probe/profile', { name: secret, age: secret, token: secret });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(secret);
    expect(res.body.errors.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a JSON array', [{ name: 'Ada', age: 36 }]],
    ['a JSON string', 'Ada'],
  ])('refuses %s where an object is expected', async (_kind, body) => {
    const res = await http.inject('POST', '/probe/profile', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('converts ?limit=5 of a page query to the number 5 and refuses ?limit=abc', async () => {
    expect((await http.inject('GET', '/probe/page?limit=5')).body).toEqual({ limit: 5, type: 'number' });
    const bad = await http.inject('GET', '/probe/page?limit=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['limit']));
  });
});
