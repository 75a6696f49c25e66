import { expect } from 'chai';
import { nearestNames, unknownNodeMessage } from '../../../src/agent/node-suggest.js';

describe('node name suggestions', () => {
  const known = ['worker-1', 'worker-2', 'worker-10', 'gpu-node-a', 'storage-3'];

  it('suggests the closest known names first, at most three', () => {
    expect(nearestNames('worker-01', known)).to.deep.equal(['worker-1', 'worker-10', 'worker-2']);
    expect(nearestNames('gpu-nodea', known)).to.deep.equal(['gpu-node-a']);
  });

  it('suggests nothing when no known name is close', () => {
    expect(nearestNames('db', known)).to.deep.equal([]);
  });

  it('says plainly that the node is missing, what is near, and what to do', () => {
    const msg = unknownNodeMessage('worker-01', known);
    expect(msg).to.include('this node is not in node_table').and.include('"worker-01"');
    expect(msg).to.include('nearest known names: worker-1, worker-10, worker-2').and.include('NODE_DB_NAME');
    expect(unknownNodeMessage('x', [])).to.include('node_table is empty');
  });
});
