export { type BackendName, describeBackends, registerTestBackend } from './describe-backends.ts';
export { type CloseOptions, expectClose, maxAbsDiff } from './expect-close.ts';
export { type GradcheckOptions, type GradcheckReport, gradcheck } from './gradcheck.ts';
