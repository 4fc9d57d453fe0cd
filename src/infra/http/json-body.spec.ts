import { charsetOf, jsonBodyRefusal } from './json-body';

describe('charsetOf', () => {
  it.each([
    ['application/json', undefined],
    ['application/json; charset=utf-8', 'utf-8'],
    ['application/json;charset=UTF-8', 'utf-8'],
    ['application/json; Charset="utf-8"', 'utf-8'],
    ['application/json; foo=bar; charset=ISO-8859-1', 'iso-8859-1'],
    ['application/json; charset', undefined],
    ['application/json; charset=', ''],
    [undefined, undefined],
  ])('%j → %j', (contentType, charset) => {
    expect(charsetOf(contentType)).toBe(charset);
  });
});

describe('jsonBodyRefusal', () => {
  const utf8 = Buffer.from('{"displayName":"Zoë"}', 'utf8');
  const latin1 = Buffer.from('{"displayName":"Zoë"}', 'latin1');

  it('takes UTF-8 with no charset, or with utf-8 / utf8 in any case, quoted or not', () => {
    for (const ct of ['application/json', 'application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8']) {
      expect(jsonBodyRefusal(ct, utf8)).toBeUndefined();
    }
    expect(jsonBodyRefusal('application/json', Buffer.alloc(0))).toBeUndefined(); // Fastify's parser answers an empty body
  });

  it('refuses another declared charset with 415, whatever the bytes', () => {
    for (const ct of ['application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json; charset=', 'application/json; charset=foo']) {
      expect(jsonBodyRefusal(ct, utf8)).toMatchObject({ code: 'VALIDATION_FAILED', status: 415 });
    }
  });

  it('refuses bytes that are not UTF-8 with 400', () => {
    expect(jsonBodyRefusal('application/json', latin1)).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, message: 'The body is not valid UTF-8' });
    expect(jsonBodyRefusal('application/json; charset=utf-8', Buffer.from([0x7b, 0xc3, 0x7d]))).toMatchObject({ status: 400 }); // a cut sequence
  });
});
