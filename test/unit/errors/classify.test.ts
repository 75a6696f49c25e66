import { expect } from 'chai';
import { classify, reasonOf, Verdict } from '../../../src/errors/classify.js';
import { ConfigError, HostError, HostTransientError, InvalidEventError, InvalidRowError, PermanentError, TransientError } from '../../../src/errors/errors.js';

/** An error shaped like a library's: a name and extra fields, not one of our classes. */
function shaped(fields: Record<string, unknown>, message = 'library failure'): Error {
  return Object.assign(new Error(message), fields);
}

describe('classify', () => {
  describe('our own hierarchy', () => {
    for (const err of [new PermanentError('x'), new InvalidEventError('x'), new InvalidRowError('p1', 'x'), new HostError('x'), new ConfigError('db.host', 'x')]) {
      it(`dead-letters ${err.name}`, () => expect(classify(err)).to.equal(Verdict.DeadLetter));
    }
    for (const err of [new TransientError('x'), new HostTransientError('x')]) {
      it(`retries ${err.name}`, () => expect(classify(err)).to.equal(Verdict.Retry));
    }
    it('lets our verdict win over a library error it wraps', () => {
      expect(classify(new PermanentError('refused', { cause: shaped({ code: 'ECONNRESET' }) }))).to.equal(Verdict.DeadLetter);
      expect(classify(new TransientError('later', { cause: shaped({ code: 404 }) }))).to.equal(Verdict.Retry);
    });
  });

  describe('AMQP reply codes', () => {
    for (const code of [403, 404, 406]) it(`dead-letters ${code}`, () => expect(classify(shaped({ code }))).to.equal(Verdict.DeadLetter));
    for (const code of [320, 541]) it(`retries ${code}`, () => expect(classify(shaped({ code }))).to.equal(Verdict.Retry));
  });

  describe('Kubernetes-style HTTP statuses', () => {
    for (const status of [409, 429, 500, 503]) {
      it(`retries ${status} as code and as statusCode`, () => {
        expect(classify(shaped({ code: status }))).to.equal(Verdict.Retry);
        expect(classify(shaped({ statusCode: status }))).to.equal(Verdict.Retry);
      });
    }
    for (const status of [400, 404, 422]) {
      it(`dead-letters ${status} as code and as statusCode`, () => {
        expect(classify(shaped({ code: status }))).to.equal(Verdict.DeadLetter);
        expect(classify(shaped({ statusCode: status }))).to.equal(Verdict.DeadLetter);
      });
    }
  });

  describe('system and driver codes', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_DEADLOCK', 'UND_ERR_SOCKET']) {
      it(`retries ${code}`, () => expect(classify(shaped({ code }))).to.equal(Verdict.Retry));
    }
  });

  describe('Sequelize', () => {
    for (const name of ['SequelizeConnectionError', 'SequelizeConnectionRefusedError', 'SequelizeConnectionAcquireTimeoutError', 'SequelizeHostNotReachableError', 'SequelizeTimeoutError']) {
      it(`retries ${name}`, () => {
        const err = new Error('db gone');
        err.name = name;
        expect(classify(err)).to.equal(Verdict.Retry);
      });
    }
    it("follows Sequelize's parent/original to the driver's code", () => {
      const driver = shaped({ code: 403 });
      const wrapped = Object.assign(new Error('wrapped'), { name: 'SequelizeDatabaseError', parent: driver, original: driver });
      expect(classify(wrapped)).to.equal(Verdict.DeadLetter);
    });
  });

  describe('cause chains', () => {
    it('finds a known code several causes deep', () => {
      const err = new Error('outer', { cause: new Error('middle', { cause: shaped({ statusCode: 422 }) }) });
      expect(classify(err)).to.equal(Verdict.DeadLetter);
    });
    it('stops on a cyclic chain and retries', () => {
      const a = new Error('a') as Error & { cause?: unknown };
      const b = new Error('b', { cause: a });
      a.cause = b;
      expect(classify(a)).to.equal(Verdict.Retry);
    });
  });

  describe('unknown errors are retried (the delivery limit bounds them)', () => {
    for (const [what, value] of [['plain Error', new Error('?')], ['string', 'boom'], ['undefined', undefined], ['null', null], ['number', 42], ['object', { message: 'x' }]] as const) {
      it(what, () => expect(classify(value)).to.equal(Verdict.Retry));
    }
    it('a status outside 4xx/5xx', () => expect(classify(shaped({ statusCode: 302 }))).to.equal(Verdict.Retry));
  });
});

describe('reasonOf', () => {
  it('names the error and keeps it on one line', () => {
    expect(reasonOf(new HostError('netplan generate failed:\nline 3: bad\r\nline 4'))).to.equal('HostError: netplan generate failed: line 3: bad line 4');
  });
  it('bounds the length', () => expect(reasonOf(new Error('x'.repeat(5000))).length).to.be.at.most(500));
  it('turns a non-error into text', () => expect(reasonOf('boom')).to.equal('boom'));
});
