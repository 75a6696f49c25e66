import { expect } from 'chai';
import { ApiException } from '@kubernetes/client-node';
import { PermanentError, TransientError } from '../../../src/errors/errors.js';
import { Verdict, classify } from '../../../src/errors/classify.js';
import { kubeError } from '../../../src/kube/errors.js';

const WHAT = 'PATCH of Node worker-1';
const statusBody = (code: number, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });

describe('kubeError', () => {
  for (const [code, kind] of [[409, TransientError], [429, TransientError], [500, TransientError], [503, TransientError], [401, TransientError], [400, PermanentError], [403, PermanentError], [404, PermanentError], [415, PermanentError], [422, PermanentError]] as const) {
    it(`maps an ApiException ${code} to ${kind.name}, agreeing with classify()`, () => {
      const cause = new ApiException(code, 'Unknown API Status Code!', JSON.stringify(statusBody(code, 'nodes "worker-1" is forbidden')), {});

      const err = kubeError(cause, WHAT, 1000);

      expect(err).to.be.instanceOf(kind);
      expect(err.cause).to.equal(cause);
      expect(err.message).to.equal(`Kubernetes API answered ${code} to ${WHAT}: nodes "worker-1" is forbidden`);
      expect(classify(err)).to.equal(kind === TransientError ? Verdict.Retry : Verdict.DeadLetter);
    });
  }

  it('quotes a parsed Status body, and no body at all when it is not JSON', () => {
    const parsed = kubeError(new ApiException(422, 'x', statusBody(422, 'bad\nlabel'), {}), WHAT, 1000);
    const html = kubeError(new ApiException(502, 'x', '<html>Bad Gateway</html>', {}), WHAT, 1000);

    expect(parsed.message).to.equal(`Kubernetes API answered 422 to ${WHAT}: bad label`);
    expect(html.message).to.equal(`Kubernetes API answered 502 to ${WHAT}`);
  });

  it('maps a timeout (AbortSignal.timeout) to a retryable error naming the limit', () => {
    const err = kubeError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), WHAT, 1500);

    expect(err).to.be.instanceOf(TransientError);
    expect(err.message).to.equal(`Kubernetes API did not answer ${WHAT} within 1500 ms`);
  });

  it('maps a connection failure to a retryable error naming the socket error', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });

    const err = kubeError(refused, WHAT, 1000);

    expect(err).to.be.instanceOf(TransientError);
    expect(err.message).to.equal(`Kubernetes API unreachable for ${WHAT}: fetch failed <- ECONNREFUSED`);
  });
});
