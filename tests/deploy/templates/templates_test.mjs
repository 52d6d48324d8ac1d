// The three SAM stacks (deploy/aws/{infrastructure,runners,autoscaler}/template.yaml):
// they parse as CloudFormation YAML, every type and property exists in the CloudFormation
// resource specification (npm @aws-cdk/cfnspec, which includes SAM's AWS::Serverless::*
// types), every reference resolves, imports match exports across the stacks, and each stack
// has the shape issue #11 asks for. A self-check feeds broken fragments and expects failures.
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, check, finish, readSource, requirePackage, sourceDir,
} from './lib/harness.mjs';
import {
  SpecChecker, checkReferences, exportsOf, importsOf, intrinsicOf, loadTemplate,
} from './lib/cfn.mjs';

const yaml = requirePackage('js-yaml');
const spec = requirePackage('@aws-cdk/cfnspec/spec/specification.json');
const specChecker = new SpecChecker(spec);

const kStacks = ['infrastructure', 'runners', 'autoscaler'];
const stacks = {};

function stackName(stack) {
  const toml = readSource(`deploy/aws/${stack}/samconfig.toml`);
  const m = toml.match(/^stack_name\s*=\s*"([^"]+)"/m);
  assert(m, `deploy/aws/${stack}/samconfig.toml has no stack_name`);
  return m[1];
}

const failIfAny = (errors, what) => {
  if (errors.length) throw new Error(`${what}:\n${errors.join('\n')}`);
};

for (const stack of kStacks) {
  await check(`${stack}: parses as CloudFormation YAML`, () => {
    const file = `deploy/aws/${stack}/template.yaml`;
    const text = readSource(file);
    assert(!/!ImportValue\s+!Sub/.test(text), `${file}: CloudFormation refuses the short form !ImportValue !Sub; write Fn::ImportValue: !Sub`);
    const template = loadTemplate(yaml, text);
    assertEqual(template.AWSTemplateFormatVersion, '2010-09-09', 'AWSTemplateFormatVersion');
    assertEqual(template.Transform, 'AWS::Serverless-2016-10-31', 'Transform');
    stacks[stack] = { template, file, name: stackName(stack), dir: path.join(sourceDir, 'deploy/aws', stack) };
  });
}

for (const stack of kStacks) {
  if (!stacks[stack]) continue;
  const { template } = stacks[stack];
  await check(`${stack}: every resource type and property is in the resource specification`, () => {
    failIfAny(specChecker.check(template), 'specification');
  });
  await check(`${stack}: every Ref, GetAtt, Sub variable, condition and DependsOn resolves`, () => {
    failIfAny(checkReferences(template, specChecker), 'references');
  });
}

await check('imports across the stacks name exports of the stacks deployed before them', () => {
  const errors = [];
  const exported = new Map();
  for (const stack of kStacks) {
    const { template, name } = stacks[stack];
    for (const imp of importsOf(template, name)) {
      const hit = exported.get(imp.name);
      if (!hit) errors.push(`${stack} ${imp.where}: imports ${imp.name}, which no earlier stack exports`);
      else if (hit.condition) errors.push(`${stack} ${imp.where}: imports ${imp.name}, exported only under condition ${hit.condition}`);
    }
    for (const [exportName, info] of exportsOf(template, name)) {
      assert(!exported.has(exportName), `export ${exportName} defined twice`);
      exported.set(exportName, info);
    }
  }
  failIfAny(errors, 'imports');
});

const resourcesOfType = (template, type) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const only = (template, type) => {
  const found = resourcesOfType(template, type);
  assertEqual(found.length, 1, `number of ${type}`);
  return found[0][1].Properties;
};
const paramDefault = (template, value) =>
  (intrinsicOf(value) === 'Ref' ? template.Parameters[value.Ref]?.Default : value);
const exportedOutputs = (template) =>
  Object.entries(template.Outputs).filter(([, o]) => o.Export).map(([id]) => id);

// The Lambda functions run the package of deploy/aws/package-lambda.sh on the custom runtime.
function checkLambda(stack, fn, handler) {
  assertEqual(fn.Runtime, 'provided.al2023', `${stack} Runtime`);
  assertEqual(fn.Handler, handler, `${stack} Handler`);
  assertEqual(path.relative(sourceDir, path.resolve(stacks[stack].dir, fn.CodeUri)),
    'build/lambda/ghscale-lambda.zip', `${stack} CodeUri`);
  assert(Array.isArray(fn.Architectures) && intrinsicOf(fn.Architectures[0]) === 'Ref',
    `${stack}: Architectures comes from a parameter`);
  // Secrets pass by SSM parameter name only.
  for (const [name, value] of Object.entries(fn.Environment.Variables)) {
    if (/SECRET|TOKEN|KEY|PASSWORD/.test(name)) {
      assert(name.endsWith('_SSM_PARAMETER'), `${stack}: environment ${name} looks like a secret value`);
      assert(typeof value !== 'string', `${stack}: environment ${name} is a literal`);
    }
  }
}

// No statement grants every action of a service or every action at all.
function checkPolicyStatements(where, statements) {
  for (const s of statements) {
    if (intrinsicOf(s) === 'Fn::If') continue;
    for (const action of [].concat(s.Action)) {
      assert(action !== '*' && !String(action).endsWith(':*'), `${where}: ${action} grants too much`);
    }
  }
}
const flattenIf = (statements) => statements.flatMap((s) => (intrinsicOf(s) === 'Fn::If' ? [s['Fn::If'][1]] : [s]));

await check('infrastructure: VPC, HTTP API POST /webhook -> webhook function, event bus, exports', () => {
  const { template } = stacks.infrastructure;
  const fn = only(template, 'AWS::Serverless::Function');
  checkLambda('infrastructure', fn, 'webhook');
  const events = Object.values(fn.Events);
  assertEqual(events.length, 1, 'webhook function events');
  const [event] = events;
  assertEqual(event.Type, 'HttpApi', 'event type');
  assertEqual([event.Properties.Method, event.Properties.Path], ['POST', '/webhook'], 'route');
  assertEqual(template.Resources[event.Properties.ApiId.Ref].Type, 'AWS::Serverless::HttpApi', 'ApiId');
  only(template, 'AWS::Events::EventBus');
  only(template, 'AWS::EC2::VPC');
  // The webhook secret is a parameter NAME; no parameter carries a secret value.
  assert(template.Parameters.WebhookSecretParameterName, 'WebhookSecretParameterName parameter');
  for (const [name, p] of Object.entries(template.Parameters)) {
    assert(!/secret|token|password/i.test(name) || name.endsWith('ParameterName'), `parameter ${name} looks like a secret value`);
    assert(!p.NoEcho, `parameter ${name}: no secret values go through this template`);
  }
  // Private subnets and the NAT gateway are optional.
  assertEqual(template.Resources.NatGateway.Condition, 'CreatePrivateSubnets', 'NAT gateway condition');
  for (const id of ['WebhookUrl', 'EventBusName', 'EventBusArn', 'VpcId', 'PublicSubnets', 'RunnerSubnets']) {
    assert(exportedOutputs(template).includes(id), `output ${id} exported`);
  }
  checkPolicyStatements('webhook function', fn.Policies.flatMap((p) => p.Statement || []));
  // The webhook function deletes only the per-status index items a status change moves.
  for (const s of fn.Policies.flatMap((p) => p.Statement || [])) {
    if (![].concat(s.Action).includes('dynamodb:DeleteItem')) continue;
    assertEqual([].concat(s.Action), ['dynamodb:DeleteItem'], `${s.Sid}: DeleteItem in a statement of its own`);
    assertEqual(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'], ['jobs#*'], `${s.Sid}: DeleteItem only on jobs#<status> items`);
  }
});

await check('runners: launch template with bootstrap.sh, terminate on shutdown, IMDSv2, mixed-instances group', () => {
  const { template } = stacks.runners;
  const lt = only(template, 'AWS::EC2::LaunchTemplate').LaunchTemplateData;
  assertEqual(lt.InstanceInitiatedShutdownBehavior, 'terminate', 'InstanceInitiatedShutdownBehavior');
  assertEqual(lt.MetadataOptions.HttpTokens, 'required', 'MetadataOptions.HttpTokens');
  assert(lt.InstanceType === undefined, 'the instance types belong to the group overrides');

  const asg = only(template, 'AWS::AutoScaling::AutoScalingGroup');
  assertEqual(String(asg.MinSize), '0', 'MinSize');
  assert(asg.DesiredCapacity === undefined, 'ghscale owns DesiredCapacity');
  const dist = asg.MixedInstancesPolicy.InstancesDistribution;
  assertEqual(String(paramDefault(template, dist.OnDemandBaseCapacity)), '1', 'OnDemandBaseCapacity');
  assertEqual(String(dist.OnDemandPercentageAboveBaseCapacity), '0', 'OnDemandPercentageAboveBaseCapacity');
  assertEqual(dist.SpotAllocationStrategy, 'price-capacity-optimized', 'SpotAllocationStrategy');
  const overrides = asg.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o) =>
    (intrinsicOf(o) === 'Fn::If' ? o['Fn::If'][1] : o));
  const types = new Set(overrides.map((o) => paramDefault(template, o.InstanceType)));
  assert(types.size >= 3, `several instance types by default (got ${[...types].join(', ')})`);
  const poolTag = asg.Tags.find((t) => t.Key === 'ghscale:pool');
  assert(poolTag && poolTag.PropagateAtLaunch === true, 'tag ghscale:pool propagated at launch');
  assert(asg.Tags.some((t) => t.Key === 'ghscale:managed-by' && t.PropagateAtLaunch === true), 'tag ghscale:managed-by');
  assert(asg.Tags.some((t) => t.Key === 'ghscale:deployment' && t.PropagateAtLaunch === true && t.Value.Ref === 'DeploymentName'),
    'tag ghscale:deployment propagated at launch');
  const ltTags = only(template, 'AWS::EC2::LaunchTemplate').TagSpecifications.flatMap((t) => t.Tags);
  assert(ltTags.some((t) => t.Key === 'ghscale:deployment'), 'the launch template carries ghscale:deployment');

  // The instance role reaches its own registration parameter only.
  const role = only(template, 'AWS::IAM::Role');
  const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
  assertEqual(statements.flatMap((s) => [].concat(s.Action)).sort(), ['ssm:DeleteParameter', 'ssm:GetParameter'], 'instance role actions');
  for (const s of statements) {
    assert(String(s.Resource['Fn::Sub']).endsWith('/runners/${!ec2:InstanceID}'), `instance role resource ${JSON.stringify(s.Resource)}`);
  }
  const sg = only(template, 'AWS::EC2::SecurityGroup');
  assert(sg.SecurityGroupIngress === undefined, 'security group: egress only');
  for (const id of ['AutoScalingGroupName', 'LaunchTemplateId']) {
    assert(exportedOutputs(template).includes(id), `output ${id} exported`);
  }
});

await check('runners: the user data is the pool settings followed by deploy/runner/bootstrap.sh verbatim', () => {
  const { template } = stacks.runners;
  const script = readSource('deploy/runner/bootstrap.sh');
  const userData = only(template, 'AWS::EC2::LaunchTemplate').LaunchTemplateData.UserData;
  const join = userData['Fn::Base64']['Fn::Join'];
  assert(join && join[0] === '' && join[1].length === 2, 'UserData is Fn::Base64 of Fn::Join ["", [settings, script]]');
  const [header, body] = join[1];
  assert(body === script,
    'the template carries a stale copy of deploy/runner/bootstrap.sh: run deploy/aws/render-user-data.sh');
  const headerText = header['Fn::Sub'];
  assert(headerText.startsWith('#!/bin/bash\n'), 'user data starts with a shebang');
  const exported = [...headerText.matchAll(/^export (GHSCALE_[A-Z0-9_]+)=/gm)].map((m) => m[1]);
  for (const name of exported) {
    if (name === 'GHSCALE_POOL') continue;  // informational, for the runner's log and jobs
    assert(script.includes(`\${${name}:=`), `bootstrap.sh reads no ${name}`);
  }
  assert(exported.includes('GHSCALE_SSM_PREFIX'), 'user data sets GHSCALE_SSM_PREFIX');
  // EC2 takes at most 16 KB of user data before base64.
  const rendered = headerText.replace(/\$\{([^}!]+)\}/g, (_, n) => String(template.Parameters[n]?.Default ?? 'x'.repeat(64))) + body;
  assert(Buffer.byteLength(rendered) <= 16384, `user data is ${Buffer.byteLength(rendered)} bytes, EC2 allows 16384`);
});

await check('autoscaler: table, express state machine with logging, triggers, reconcile function, least privilege', () => {
  const { template, dir } = stacks.autoscaler;
  const table = only(template, 'AWS::DynamoDB::Table');
  assertEqual(table.BillingMode, 'PAY_PER_REQUEST', 'BillingMode');
  assertEqual(table.KeySchema, [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }], 'KeySchema');
  assertEqual(table.AttributeDefinitions, [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }], 'AttributeDefinitions');

  const sm = only(template, 'AWS::Serverless::StateMachine');
  assertEqual(sm.Type, 'EXPRESS', 'state machine Type');
  const logGroup = sm.Logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
  assertEqual(template.Resources[logGroup[0]].Type, 'AWS::Logs::LogGroup', 'logging destination');
  const definitionText = fs.readFileSync(path.join(dir, sm.DefinitionUri), 'utf8');
  const placeholders = new Set([...definitionText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
  assertEqual([...placeholders].sort(), Object.keys(sm.DefinitionSubstitutions).sort(), 'DefinitionSubstitutions vs the definition placeholders');
  const fnId = sm.DefinitionSubstitutions.ReconcileFunctionArn['Fn::GetAtt'][0];
  const fn = template.Resources[fnId].Properties;
  checkLambda('autoscaler', fn, 'reconcile');
  for (const name of ['GHSCALE_DYNAMODB_TABLE', 'GHSCALE_CONFIG_SSM_PARAMETER', 'GHSCALE_GITHUB_TOKEN_SSM_PARAMETER', 'GHSCALE_GITHUB_APP_KEY_SSM_PARAMETER']) {
    assert(name in fn.Environment.Variables, `reconcile environment ${name}`);
  }

  const events = Object.values(sm.Events);
  const rule = events.find((e) => e.Type === 'EventBridgeRule');
  assert(rule, 'an EventBridge rule for webhook events');
  assertEqual(rule.Properties.Pattern['detail-type'], ['workflow_job'], 'rule detail-type');
  assert(intrinsicOf(rule.Properties.EventBusName) === 'Fn::ImportValue', 'the rule listens on the Infrastructure bus');
  const schedule = events.find((e) => e.Type === 'Schedule');
  assertEqual(schedule && schedule.Properties.Schedule, 'rate(15 minutes)', 'schedule');
  for (const e of events) if (e.Properties.Input) JSON.parse(e.Properties.Input);

  const statements = flattenIf(fn.Policies.flatMap((p) => p.Statement || []));
  checkPolicyStatements('reconcile function', statements);
  for (const s of statements) {
    const actions = [].concat(s.Action);
    const resources = [].concat(s.Resource);
    if (resources.includes('*')) {
      assert(actions.every((a) => /:(Describe|List|Get)/.test(a)), `${s.Sid}: only read actions on every resource`);
    }
    if (actions.some((a) => /^autoscaling:(Set|Terminate)/.test(a))) {
      assert(JSON.stringify(s.Condition || {}).includes('ghscale:'), `${s.Sid}: scaling actions need a ghscale tag condition`);
      const equals = (s.Condition || {}).StringEquals || {};
      assertEqual(equals['aws:ResourceTag/ghscale:deployment'], { Ref: 'DeploymentName' }, `${s.Sid}: only this deployment's groups`);
    }
    if (actions.some((a) => a.startsWith('ssm:'))) {
      for (const r of resources) {
        const text = JSON.stringify(r);
        assert(text.includes(':parameter'), `${s.Sid}: SSM actions only on named parameters (${text})`);
      }
    }
    if (actions.some((a) => a.startsWith('dynamodb:'))) {
      assertEqual(resources, [{ 'Fn::GetAtt': ['Table', 'Arn'] }], `${s.Sid}: DynamoDB on the table only`);
    }
  }
});

// ---- self-check: the checks above must catch broken templates ----------------------------

const brokenCases = [
  ['unknown resource type', 'R: {Type: AWS::EC2::Instancee, Properties: {}}', /unknown resource type AWS::EC2::Instancee/],
  ['unknown property', 'R: {Type: AWS::Events::EventBus, Properties: {Name: x, Nmae: y}}', /unknown property Nmae/],
  ['unknown nested property',
    'R: {Type: AWS::EC2::LaunchTemplate, Properties: {LaunchTemplateData: {MetadataOptions: {HttpTokenz: required}}}}',
    /unknown property HttpTokenz of AWS::EC2::LaunchTemplate.MetadataOptions/],
  ['a mapping where a list is expected',
    'R: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "0", MaxSize: "1", Tags: {Key: a}}}', /expected a list/],
  ['missing required property', 'R: {Type: AWS::EC2::Subnet, Properties: {CidrBlock: 10.0.0.0/24}}', /required property VpcId/],
  ['unknown SAM property',
    'F: {Type: AWS::Serverless::Function, Properties: {Handlerr: webhook, Runtime: provided.al2023, CodeUri: x.zip}}', /unknown property Handlerr of AWS::Serverless::Function/],
  ['unknown SAM event property',
    'S: {Type: AWS::Serverless::StateMachine, Properties: {Type: EXPRESS, Events: {E: {Type: EventBridgeRule, Properties: {Patern: {}}}}}}',
    /unknown property Patern of AWS::Serverless::StateMachine.EventBridgeRuleEvent/],
  ['unknown SAM event type',
    'F: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: HttpApii, Properties: {}}}}}', /unknown event source type HttpApii/],
  ['Ref to nothing', 'R: {Type: AWS::Events::EventBus, Properties: {Name: !Ref Missing}}', /unknown Missing/],
  ['Sub variable naming nothing', 'R: {Type: AWS::Events::EventBus, Properties: {Name: !Sub "${Missing}-x"}}', /unknown Missing/],
  ['GetAtt of a missing attribute',
    'B: {Type: AWS::Events::EventBus, Properties: {Name: b}}\n  R: {Type: AWS::Events::EventBus, Properties: {Name: !GetAtt B.Nope}}', /has no attribute Nope/],
  ['conditional resource referenced unconditionally',
    'B: {Type: AWS::Events::EventBus, Condition: C, Properties: {Name: b}}\n  R: {Type: AWS::Events::EventBus, Properties: {Name: !Ref B}}', /only under condition C/],
  ['unknown intrinsic tag', 'R: {Type: AWS::Events::EventBus, Properties: {Name: !Subb x}}', /unknown tag/],
];

for (const [what, resources, expected] of brokenCases) {
  await check(`self-check: a template with ${what} fails`, () => {
    const text = `AWSTemplateFormatVersion: '2010-09-09'\nConditions:\n  C: !Equals [a, b]\nResources:\n  ${resources}\n`;
    let errors;
    try {
      const t = loadTemplate(yaml, text);
      errors = [...specChecker.check(t), ...checkReferences(t, specChecker)];
    } catch (e) {
      errors = [e.message];
    }
    assert(errors.some((e) => expected.test(e)), `expected an error matching ${expected}, got: ${errors.join(' | ') || 'none'}`);
  });
}

await check('self-check: an import of a name no stack exports fails', () => {
  const t = loadTemplate(yaml, "Parameters: {P: {Type: String, Default: nope}}\nResources:\n  R: {Type: AWS::Events::EventBus, Properties: {Name: {'Fn::ImportValue': !Sub '${P}-x'}}}\n");
  const names = importsOf(t, 'x').map((i) => i.name);
  assertEqual(names, ['nope-x'], 'import names');
  const exported = new Set(kStacks.flatMap((s) => [...exportsOf(stacks[s].template, stacks[s].name).keys()]));
  assert(!exported.has('nope-x'), 'nope-x must not be exported');
});

await check('deploy/systemd/ghscale.service runs ghscale serve hardened', () => {
  const unit = readSource('deploy/systemd/ghscale.service');
  const values = (key) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1].trim());
  assert(values('ExecStart').some((v) => / serve --config \/etc\/ghscale\/ghscale\.yaml$/.test(v)), 'ExecStart runs ghscale serve --config /etc/ghscale/ghscale.yaml');
  const expected = {
    ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', NoNewPrivileges: 'yes',
    CapabilityBoundingSet: '', Restart: 'on-failure', StateDirectory: 'ghscale',
  };
  for (const [key, value] of Object.entries(expected)) assert(values(key).includes(value), `${key}=${value}`);
  assert(values('DynamicUser').includes('yes') || values('User').length > 0, 'DynamicUser or a dedicated User');
  assert(values('RestrictAddressFamilies').length > 0, 'RestrictAddressFamilies');
  assert(values('SystemCallFilter').includes('@system-service'), 'SystemCallFilter=@system-service');
  assert(values('LoadCredential').length > 0, 'secrets come through LoadCredential');
  assert(values('MemoryMax').some((v) => /^[0-9]+[KMG]$/.test(v)), 'MemoryMax= bounds the daemon');
});

await check('every environment variable the templates set is one the Lambda host reads', () => {
  // src/app/lambda/lambda_config.h documents the host's environment in its header comment.
  const documented = readSource('src/app/lambda/lambda_config.h');
  for (const stack of ['infrastructure', 'autoscaler']) {
    for (const [, r] of Object.entries(stacks[stack].template.Resources)) {
      if (r.Type !== 'AWS::Serverless::Function') continue;
      for (const name of Object.keys(r.Properties.Environment.Variables)) {
        assert(new RegExp(`^//\\s+${name}\\s`, 'm').test(documented), `${stack}: ${name} is not read by the Lambda host`);
      }
    }
  }
});

finish();
