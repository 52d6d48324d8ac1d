// The AutoScaler's state machine (deploy/aws/autoscaler/statemachine.asl.json): it passes npm
// asl-validator, every Task retries and catches, and an ASL interpreter (npm
// aws-local-stepfunctions) drives each branch with reconcile summaries as the `reconcile`
// Lambda returns them (the Task's Lambda is replaced by a local function; waits take 0 ms).
import {
  assert, assertEqual, check, finish, readSource, requirePackage, resolvePackage,
} from './lib/harness.mjs';

const aslValidator = requirePackage('asl-validator');
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Debian's Node lacks it.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = requirePackage('aws-local-stepfunctions');
resolvePackage('asl-validator');

const kFunctionArn = 'arn:aws:lambda:us-east-1:123456789012:function:ghscale-reconcile';
const text = readSource('deploy/aws/autoscaler/statemachine.asl.json');
// What SAM's DefinitionSubstitutions does at deploy time.
const definition = JSON.parse(text.replaceAll('${ReconcileFunctionArn}', kFunctionArn));
const states = definition.States;

await check('the definition passes asl-validator', () => {
  const { isValid, errorsText } = aslValidator(definition);
  assert(isValid, errorsText('\n'));
});

await check('self-check: asl-validator rejects a broken definition', () => {
  const broken = structuredClone(definition);
  broken.States.Decide.Default = 'NoSuchState';
  assert(!aslValidator(broken).isValid, 'a Default naming no state must be invalid');
});

await check('every Task retries Lambda service errors and catches everything', () => {
  const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
  assert(tasks.length > 0, 'no Task state');
  for (const [name, s] of tasks) {
    assertEqual(s.Resource, kFunctionArn, `${name} Resource`);
    assert(Array.isArray(s.Retry) && s.Retry.length > 0, `${name} has no Retry`);
    assert(s.Retry.every((r) => r.MaxAttempts > 0 && r.MaxAttempts <= 5), `${name}: bounded retries`);
    assert(Array.isArray(s.Catch) && s.Catch.some((c) => c.ErrorEquals.includes('States.ALL')), `${name} does not catch States.ALL`);
  }
});

await check('an express execution stays well under 5 minutes', () => {
  assert(definition.TimeoutSeconds > 0 && definition.TimeoutSeconds < 300, `TimeoutSeconds ${definition.TimeoutSeconds}`);
  const waits = Object.values(states).filter((s) => s.Type === 'Wait').map((s) => s.Seconds);
  const bound = states.CanContinue.Choices[0].NumericLessThan;
  assert(Math.max(...waits) * bound < 240, `waits ${waits} x ${bound} iterations`);
});

// ---- branches, driven by reconcile summaries -------------------------------------------------

const pool = (fields) => ({
  pool: 'linux', action: 'none', launched: 0, terminated: 0, desired: 0, running: 0, idle: 0,
  busy: 0, booting: 0, queued: 0, cooldown_remaining_ms: 0, ...fields,
});
const summary = (fields) => ({
  acted: true, holder: 'lambda:1', errors: 0, scaled: false, pending_registrations: 0, pools: [pool({})], ...fields,
});

// Runs the machine; `results` are what successive reconcile invocations return (a function
// result throws to simulate a failing invocation). Returns the outcome and every input the
// reconcile function saw.
async function run(input, results) {
  const calls = [];
  const machine = new StateMachine(definition);
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: {
        Reconcile: async (payload) => {
          calls.push(payload);
          const next = results[Math.min(calls.length, results.length) - 1];
          if (typeof next === 'function') return next();
          return next;
        },
      },
      waitTimeOverrides: { WaitForInstances: 0, WaitBeforeRetry: 0 },
      retryIntervalOverrides: { Reconcile: 0 },
    },
  });
  const states = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') states.push(event.state.name);
    }
  })();
  let outcome;
  try {
    outcome = { ok: true, output: await execution.result };
  } catch (e) {
    outcome = { ok: false, error: e.cause?.name ?? e.name, message: e.message };
  }
  await collect;
  return { ...outcome, calls, states };
}

const lastState = (r) => r.states[r.states.length - 1];

await check('not acted (another process holds the lease) -> Succeed after one pass', async () => {
  const r = await run({ sweep: false }, [summary({ acted: false, holder: 'daemon-a:42', pools: [] })]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 1, 'reconcile calls');
  assertEqual(lastState(r), 'NotActed', 'final state');
});

await check('the reconcile function gets the trigger input unchanged on every pass', async () => {
  const r = await run({ pools: ['linux'], sweep: true }, [summary({ pending_registrations: 1 }), summary({})]);
  assert(r.ok, r.message);
  assertEqual(r.calls, [{ pools: ['linux'], sweep: true }, { pools: ['linux'], sweep: true }], 'reconcile inputs');
});

await check('pending registrations -> wait -> reconcile again -> done', async () => {
  const r = await run({ sweep: false }, [
    summary({ scaled: true, pending_registrations: 3, pools: [pool({ action: 'scale_out', launched: 3, booting: 3, queued: 3 })] }),
    summary({ pending_registrations: 1, pools: [pool({ booting: 1, busy: 2 })] }),
    summary({ pools: [pool({ busy: 3 })] }),
  ]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 3, 'reconcile calls');
  assertEqual(r.states.filter((s) => s === 'WaitForInstances').length, 2, 'waits');
  assertEqual(lastState(r), 'Done', 'final state');
  assertEqual(r.output.iteration, 3, 'iteration of the last pass');
});

await check('scaled with instances still booting -> one more pass', async () => {
  const r = await run({}, [
    summary({ scaled: true, pools: [pool({ action: 'scale_out', launched: 1, booting: 1 }), pool({ pool: 'arm', booting: 0 })] }),
    summary({ pools: [pool({ idle: 1 })] }),
  ]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 2, 'reconcile calls');
  assertEqual(lastState(r), 'Done', 'final state');
});

await check('scaled with nothing pending or booting -> Succeed after one pass', async () => {
  const r = await run({}, [summary({ scaled: true, pools: [pool({ action: 'scale_in', terminated: 2, idle: 1 })] })]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 1, 'reconcile calls');
  assertEqual(lastState(r), 'Done', 'final state');
});

await check('nothing to do (cooldown) -> Succeed after one pass', async () => {
  const r = await run({}, [summary({ pools: [pool({ action: 'cooldown', queued: 2, cooldown_remaining_ms: 30000 })] })]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 1, 'reconcile calls');
  assertEqual(lastState(r), 'Done', 'final state');
});

await check('pending registrations that never clear stop at the iteration bound', async () => {
  const r = await run({}, [summary({ pending_registrations: 2, pools: [pool({ booting: 2 })] })]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, states.CanContinue.Choices[0].NumericLessThan, 'reconcile calls');
  assertEqual(lastState(r), 'IterationLimitReached', 'final state');
});

await check('errors in the summary -> bounded retries -> recovered', async () => {
  const r = await run({}, [summary({ errors: 2, pools: [pool({ action: 'error' })] }), summary({})]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 2, 'reconcile calls');
  assert(r.states.includes('WaitBeforeRetry'), 'waited before retrying');
  assertEqual(lastState(r), 'Done', 'final state');
});

await check('errors that persist -> Fail once the bound is reached', async () => {
  const r = await run({}, [summary({ errors: 1, pools: [pool({ action: 'error' })] })]);
  assert(!r.ok, 'the execution must fail');
  assertEqual(r.calls.length, states.CanRetry.Choices[0].NumericLessThan, 'reconcile calls');
  assertEqual(lastState(r), 'ReconcileFailed', 'final state');
  assertEqual(r.error, 'ghscale.ReconcileFailed', 'error name');
});

await check('a failing reconcile invocation is caught, retried, and can recover', async () => {
  const failure = () => {
    const e = new Error('store unavailable');
    e.name = 'ghscale.Error';  // the errorType the Lambda host reports
    throw e;
  };
  const r = await run({}, [failure, summary({})]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 2, 'reconcile calls');
  assert(r.states.includes('CanRetry'), 'went through the Catch');
  assertEqual(lastState(r), 'Done', 'final state');
});

await check('a reconcile invocation that always fails ends in Fail, bounded', async () => {
  const r = await run({}, [() => { throw new Error('boom'); }]);
  assert(!r.ok, 'the execution must fail');
  assertEqual(r.calls.length, states.CanRetry.Choices[0].NumericLessThan, 'reconcile calls');
  assertEqual(lastState(r), 'ReconcileFailed', 'final state');
});

await check('a throttled invocation is retried by the Task itself, not the loop', async () => {
  const throttled = () => {
    const e = new Error('Rate exceeded');
    e.name = 'Lambda.TooManyRequestsException';
    throw e;
  };
  const r = await run({}, [throttled, summary({})]);
  assert(r.ok, r.message);
  assertEqual(r.calls.length, 2, 'reconcile calls');
  assert(!r.states.includes('CanRetry'), 'the Catch must not see a retried error');
  assertEqual(lastState(r), 'Done', 'final state');
});

finish();
