// onnxruntime-node (1.30, Linux) starts Microsoft's telemetry with a process's first session, which
// leaves an empty mat-debug-PID.log in the temporary folder of every process that ever ran a model. divsyn
// works offline and leaves no temporary files, so telemetry is off unless the user set
// ORT_DISABLE_TELEMETRY themselves. onnxruntime reads the real process environment, which a worker
// thread's process.env is only a copy of: the main thread sets it, before any worker or session exists.
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
