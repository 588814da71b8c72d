/** Prints the device ORT_DEVICE=auto picks here (exit 2 when it is not CUDA). Used by scripts/bench/gpu-check.sh. */
import { OrtRuntime, systemDeviceProbe } from '../../models/runtime.js';

console.log(
  `CUDA provider library: ${systemDeviceProbe.cudaProviderLibrary() ?? '(not installed)'}; GPU visible: ${systemDeviceProbe.gpuVisible()}`,
);
const rt = new OrtRuntime({ device: 'auto' });
console.log(`ORT_DEVICE=auto -> ${rt.device} (${rt.deviceReason})`);
if (rt.device !== 'cuda') process.exit(2);
