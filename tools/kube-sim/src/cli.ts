import { parseArgs } from 'node:util';
import { isKubeSimError } from './kube-sim-error.ts';
import { CUSTOM_RESOURCE_SETS, type CustomResourceSet } from './custom-resources.ts';
import { startKubeSim } from './kube-sim.ts';

const HELP = `kube-sim: a Kubernetes API simulator with real pods, for kubectl and client-node tests

Usage:
  kube-sim start [--state-dir DIR] [--scenario NAME] [--crds LIST] [--port N] [--namespace NS]

Options:
  --state-dir DIR   kubeconfig, certificates, volumes and logs (KUBE_SIM_STATE_DIR; default a new tmp dir)
  --scenario NAME   objects to create at start: openmeet-dev, synapse-ananace, synapse-ess or a YAML file
                    (KUBE_SIM_SCENARIO)
  --crds LIST       CRD sets to serve besides the scenario's: external-secrets, volume-snapshots, or all
                    (KUBE_SIM_CRDS; default none)
  --port N          API port on 127.0.0.1 (KUBE_SIM_PORT; default a free port)
  --namespace NS    the kubeconfig's default namespace (KUBE_SIM_NAMESPACE; default: the scenario's, else default)

Examples:
  kube-sim start --state-dir /tmp/sim --scenario openmeet-dev
  kube-sim start --state-dir /tmp/empty --crds all
  KUBECONFIG=/tmp/sim/kubeconfig kubectl get pods -n openmeet-dev

Runs in the foreground until SIGINT/SIGTERM or until its parent process exits; prints the kubeconfig path on
stdout and writes <state-dir>/kube-sim.json ({url, kubeconfigPath, faultsUrl, pid}) when ready.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      scenario: { type: 'string' },
      port: { type: 'string' },
      namespace: { type: 'string' },
      crds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const env = process.env;
  if (values.help || positionals[0] !== 'start') {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const portText = values.port ?? env['KUBE_SIM_PORT'];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`kube-sim: --port must be a port number, got ${JSON.stringify(portText)}\n`);
    return 2;
  }
  const stateDir = values['state-dir'] ?? env['KUBE_SIM_STATE_DIR'];
  const scenario = values.scenario ?? env['KUBE_SIM_SCENARIO'];
  const namespace = values.namespace ?? env['KUBE_SIM_NAMESPACE'];
  const crdsText = values.crds ?? env['KUBE_SIM_CRDS'] ?? '';
  const crds = crdsText === 'all' ? [...CUSTOM_RESOURCE_SETS] : crdsText.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = crds.filter((set) => !CUSTOM_RESOURCE_SETS.includes(set as CustomResourceSet));
  if (unknown.length > 0) {
    process.stderr.write(`kube-sim: --crds: unknown set(s) ${unknown.join(', ')}; use ${CUSTOM_RESOURCE_SETS.join(', ')} or all\n`);
    return 2;
  }
  const sim = await startKubeSim({
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(port === undefined ? {} : { port }),
    ...(scenario === undefined ? {} : { scenario }),
    ...(namespace === undefined ? {} : { namespace }),
    customResources: crds as CustomResourceSet[],
  });
  process.stderr.write(`kube-sim: API at ${sim.url}; export KUBECONFIG=${sim.kubeconfigPath}\n`);
  process.stdout.write(`${sim.kubeconfigPath}\n`);
  // A second signal (a process-group SIGTERM plus the bin wrapper forwarding it) must not cut the stop short,
  // and a parent that dies (even by SIGKILL) must not leave the pods running.
  const parent = process.ppid;
  const why = await new Promise<string>((resolveStop) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolveStop(signal));
    setInterval(() => {
      if (process.ppid !== parent) resolveStop(`parent process ${parent} exited`);
    }, 500).unref();
  });
  process.stderr.write(`kube-sim: stopping (${why})\n`);
  await sim.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isKubeSimError(error)) {
      process.stderr.write(`kube-sim: ${error.message}\n${error.nextSteps.map((step) => `  - ${step}\n`).join('')}`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`kube-sim: unexpected error (a bug): ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
