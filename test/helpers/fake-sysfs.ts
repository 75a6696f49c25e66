// The fake sysfs tree moved to src/host so the demo can build sandbox roots too.
export { FakeSysfs, type FakeNic } from '../../src/sandbox/fake-sysfs.js';
