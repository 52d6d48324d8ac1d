// CloudFormation/SAM template checks for the template tests.
//
// - cfnYamlSchema(): js-yaml with CloudFormation's short-form intrinsic tags (!Ref, !Sub, ...),
//   each turned into its long form ({"Ref": x}, {"Fn::Sub": ...}); an unknown tag is a parse error.
// - checkAgainstSpec(): every resource type, property and nested property type against the
//   CloudFormation resource specification of npm @aws-cdk/cfnspec. That specification also
//   carries SAM's AWS::Serverless::* resources and property types (taken by the CDK from SAM's
//   published specification, each entry linking its SAM documentation page), so SAM resources
//   are checked by the same walk; SAM's event sources are checked against the event type their
//   `Type` names.
// - checkReferences(): Ref/GetAtt/Sub targets, conditions, DependsOn, and references to
//   resources that exist only under a condition.
// - exportsOf()/importsOf(): the cross-stack names, evaluated with parameter defaults.

const kIntrinsics = new Set([
  'Fn::Base64', 'Fn::Cidr', 'Fn::FindInMap', 'Fn::GetAtt', 'Fn::GetAZs', 'Fn::ImportValue',
  'Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::Sub', 'Fn::Transform', 'Fn::If', 'Fn::Equals',
  'Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::Length', 'Fn::ToJsonString',
]);
const kShortFunctions = [
  'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
  'Transform', 'If', 'Equals', 'And', 'Or', 'Not', 'Length', 'ToJsonString',
];
export const kPseudoParameters = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);
const kTemplateSections = new Set([
  'AWSTemplateFormatVersion', 'Transform', 'Description', 'Metadata', 'Parameters', 'Mappings',
  'Conditions', 'Rules', 'Resources', 'Outputs', 'Globals',
]);
const kResourceAttributes = new Set([
  'Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy',
  'UpdatePolicy', 'CreationPolicy', 'Metadata',
]);
const kParameterKeys = new Set([
  'Type', 'Default', 'AllowedValues', 'AllowedPattern', 'ConstraintDescription', 'Description',
  'MaxLength', 'MaxValue', 'MinLength', 'MinValue', 'NoEcho',
]);
// SAM resources become these CloudFormation resources under the same logical id, which is
// what !GetAtt on a SAM resource reads (SAM documentation: "Referenceable properties").
const kSamGeneratedType = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
  'AWS::Serverless::LayerVersion': 'AWS::Lambda::LayerVersion',
};

export function cfnYamlSchema(yaml) {
  const types = [];
  for (const kind of ['scalar', 'sequence', 'mapping']) {
    types.push(new yaml.Type('!Ref', { kind, construct: (d) => ({ Ref: d }) }));
    types.push(new yaml.Type('!Condition', { kind, construct: (d) => ({ Condition: d }) }));
    types.push(new yaml.Type('!GetAtt', {
      kind,
      construct: (d) => {
        if (typeof d !== 'string') return { 'Fn::GetAtt': d };
        const dot = d.indexOf('.');
        return { 'Fn::GetAtt': dot < 0 ? [d] : [d.slice(0, dot), d.slice(dot + 1)] };
      },
    }));
    for (const fn of kShortFunctions) {
      types.push(new yaml.Type(`!${fn}`, { kind, construct: (d) => ({ [`Fn::${fn}`]: d }) }));
    }
  }
  return yaml.DEFAULT_SCHEMA.extend(types);
}

export function loadTemplate(yaml, text) {
  return yaml.load(text, { schema: cfnYamlSchema(yaml) });
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The intrinsic function of a one-key object, or undefined.
export function intrinsicOf(v) {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  if (keys[0] === 'Ref' || keys[0].startsWith('Fn::')) return keys[0];
  return undefined;
}

// ---------------------------------------------------------------------------------------
// The resource specification walk.

export class SpecChecker {
  constructor(spec) {
    this.spec = spec;
  }

  propertyType(owner, name) {
    const types = this.spec.PropertyTypes;
    if (name === 'Tag') return types.Tag;
    const base = owner.includes('.') ? owner.slice(0, owner.indexOf('.')) : owner;
    return types[`${base}.${name}`] || types[name];
  }

  check(template) {
    const errors = [];
    for (const key of Object.keys(template)) {
      if (!kTemplateSections.has(key)) errors.push(`unknown template section ${key}`);
    }
    this.checkParameters(template.Parameters || {}, errors);
    const resources = template.Resources || {};
    for (const [id, resource] of Object.entries(resources)) {
      const where = `Resources.${id}`;
      if (!isObject(resource)) { errors.push(`${where}: not a mapping`); continue; }
      for (const key of Object.keys(resource)) {
        if (!kResourceAttributes.has(key)) errors.push(`${where}: unknown resource attribute ${key}`);
      }
      const spec = this.spec.ResourceTypes[resource.Type];
      if (!spec) { errors.push(`${where}: unknown resource type ${resource.Type}`); continue; }
      this.checkObject(resource.Type, spec, resource.Properties || {}, `${where}.Properties`, errors);
    }
    for (const [id, output] of Object.entries(template.Outputs || {})) {
      for (const key of Object.keys(output)) {
        if (!['Description', 'Value', 'Export', 'Condition'].includes(key)) {
          errors.push(`Outputs.${id}: unknown key ${key}`);
        }
      }
      if (output.Value === undefined) errors.push(`Outputs.${id}: no Value`);
      if (output.Export !== undefined && (!isObject(output.Export) || output.Export.Name === undefined)) {
        errors.push(`Outputs.${id}: Export needs a Name`);
      }
    }
    return errors;
  }

  checkParameters(parameters, errors) {
    for (const [name, p] of Object.entries(parameters)) {
      const where = `Parameters.${name}`;
      for (const key of Object.keys(p)) {
        if (!kParameterKeys.has(key)) errors.push(`${where}: unknown key ${key}`);
      }
      const type = String(p.Type);
      const known = ['String', 'Number', 'List<Number>', 'CommaDelimitedList'].includes(type) ||
        /^(List<)?AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+>?$/.test(type) ||
        /^AWS::SSM::Parameter::(Name|Value<.+>)$/.test(type);
      if (!known) errors.push(`${where}: unknown parameter type ${type}`);
      if (p.Default === undefined) continue;
      // CloudFormation checks a default against the parameter's own constraints.
      const value = String(p.Default);
      if (p.AllowedPattern !== undefined && !new RegExp(`^(?:${p.AllowedPattern})$`).test(value)) {
        errors.push(`${where}: Default ${JSON.stringify(value)} does not match AllowedPattern`);
      }
      if (p.AllowedValues !== undefined && !p.AllowedValues.map(String).includes(value)) {
        errors.push(`${where}: Default ${JSON.stringify(value)} is not among AllowedValues`);
      }
      if (type === 'Number') {
        const n = Number(value);
        if (Number.isNaN(n)) errors.push(`${where}: Default is not a number`);
        if (p.MinValue !== undefined && n < p.MinValue) errors.push(`${where}: Default below MinValue`);
        if (p.MaxValue !== undefined && n > p.MaxValue) errors.push(`${where}: Default above MaxValue`);
      }
    }
  }

  // Properties of a resource or property type.
  checkObject(owner, typeSpec, obj, where, errors) {
    if (!isObject(obj)) { errors.push(`${where}: expected a mapping of ${owner}`); return; }
    const props = typeSpec.Properties || {};
    for (const [key, value] of Object.entries(obj)) {
      const desc = props[key];
      if (!desc) { errors.push(`${where}: unknown property ${key} of ${owner}`); continue; }
      this.checkValue(owner, desc, value, `${where}.${key}`, errors);
    }
    for (const [key, desc] of Object.entries(props)) {
      if (desc.Required && obj[key] === undefined) errors.push(`${where}: required property ${key} of ${owner} missing`);
    }
  }

  checkValue(owner, desc, value, where, errors) {
    const fn = intrinsicOf(value);
    if (fn !== undefined) {
      if (fn !== 'Ref' && !kIntrinsics.has(fn)) { errors.push(`${where}: unknown intrinsic function ${fn}`); return; }
      if (fn === 'Fn::If' && Array.isArray(value[fn]) && value[fn].length === 3) {
        for (const branch of value[fn].slice(1)) {
          if (intrinsicOf(branch) === 'Ref' && branch.Ref === 'AWS::NoValue') continue;
          this.checkValue(owner, desc, branch, where, errors);
        }
      }
      return;  // any other intrinsic yields a value CloudFormation computes
    }
    const candidates = this.candidates(desc);
    if (candidates.length === 1) { this.checkCandidate(owner, candidates[0], value, where, errors); return; }
    // A SAM union: the value must match one of the alternatives.
    let best;
    for (const candidate of candidates) {
      const found = [];
      this.checkCandidate(owner, candidate, value, where, found);
      if (found.length === 0) return;
      // Report the alternative of the value's own shape (list, mapping, scalar) first.
      const score = found.length + (found[0].startsWith(`${where}: expected`) ? 1000 : 0);
      if (!best || score < best.score) best = { score, found };
    }
    errors.push(`${where}: matches none of ${candidates.map((c) => c.Type || c.PrimitiveType).join(', ')}`, ...best.found);
  }

  // The alternatives a property description allows, each with a single Type or PrimitiveType.
  candidates(desc) {
    const out = [];
    if (desc.PrimitiveType) out.push({ PrimitiveType: desc.PrimitiveType });
    if (desc.Type) out.push({ ...desc, Types: undefined, PrimitiveTypes: undefined });
    for (const t of desc.PrimitiveTypes || []) out.push({ PrimitiveType: t });
    for (const t of desc.Types || []) out.push({ Type: t });
    if (desc.InclusiveItemTypes || desc.InclusivePrimitiveItemTypes) {
      out.push({ Type: 'List', ItemTypes: desc.InclusiveItemTypes, PrimitiveItemTypes: desc.InclusivePrimitiveItemTypes });
    }
    return out;
  }

  itemDesc(desc) {
    const item = {};
    if (desc.PrimitiveItemType) item.PrimitiveType = desc.PrimitiveItemType;
    if (desc.ItemType) item.Type = desc.ItemType;
    if (desc.ItemTypes) item.Types = desc.ItemTypes;
    if (desc.PrimitiveItemTypes) item.PrimitiveTypes = desc.PrimitiveItemTypes;
    return item;
  }

  checkCandidate(owner, desc, value, where, errors) {
    if (desc.PrimitiveType) { this.checkPrimitive(desc.PrimitiveType, value, where, errors); return; }
    if (desc.Type === 'List') {
      if (!Array.isArray(value)) { errors.push(`${where}: expected a list`); return; }
      const item = this.itemDesc(desc);
      value.forEach((v, i) => this.checkValue(owner, item, v, `${where}[${i}]`, errors));
      return;
    }
    if (desc.Type === 'Map') {
      if (!isObject(value)) { errors.push(`${where}: expected a mapping`); return; }
      const item = this.itemDesc(desc);
      for (const [k, v] of Object.entries(value)) this.checkValue(owner, item, v, `${where}.${k}`, errors);
      return;
    }
    const name = desc.Type;
    const typeSpec = this.propertyType(owner, name);
    if (!typeSpec) { errors.push(`${where}: the specification has no property type ${name} of ${owner}`); return; }
    const base = owner.includes('.') ? owner.slice(0, owner.indexOf('.')) : owner;
    const typeName = name === 'Tag' ? 'Tag' : `${base}.${name}`;
    if (name === 'EventSource' && base.startsWith('AWS::Serverless::')) {
      this.checkSamEvent(typeName, typeSpec, value, where, errors);
      return;
    }
    if (typeSpec.PrimitiveType || typeSpec.Type) {  // a property type that is itself a list/primitive
      this.checkValue(typeName, typeSpec, value, where, errors);
      return;
    }
    this.checkObject(typeName, typeSpec, value, where, errors);
  }

  // A SAM event source: {Type, Properties}, Properties checked against the <Type>Event type.
  checkSamEvent(typeName, typeSpec, value, where, errors) {
    if (!isObject(value)) { errors.push(`${where}: expected an event source mapping`); return; }
    for (const key of Object.keys(value)) {
      if (!(key in typeSpec.Properties)) errors.push(`${where}: unknown property ${key} of ${typeName}`);
    }
    const allowed = typeSpec.Properties.Properties.Types || [];
    const eventType = `${value.Type}Event`;
    if (!allowed.includes(eventType)) {
      errors.push(`${where}.Type: unknown event source type ${value.Type} (known: ${allowed.map((t) => t.replace(/Event$/, '')).join(', ')})`);
      return;
    }
    const base = typeName.slice(0, typeName.indexOf('.'));
    const eventSpec = this.spec.PropertyTypes[`${base}.${eventType}`];
    this.checkObject(`${base}.${eventType}`, eventSpec, value.Properties, `${where}.Properties`, errors);
  }

  checkPrimitive(type, value, where, errors) {
    if (type === 'Json') return;
    if (isObject(value) || Array.isArray(value)) { errors.push(`${where}: expected a ${type}, got a ${Array.isArray(value) ? 'list' : 'mapping'}`); return; }
    if (value === null || value === undefined) { errors.push(`${where}: empty value`); return; }
    if (['Integer', 'Long', 'Double'].includes(type) && Number.isNaN(Number(value))) {
      errors.push(`${where}: expected a number, got ${JSON.stringify(value)}`);
    }
    if (type === 'Boolean' && !['true', 'false'].includes(String(value))) {
      errors.push(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
    }
  }

  attributesOf(type) {
    const spec = this.spec.ResourceTypes[kSamGeneratedType[type] || type];
    return spec ? Object.keys(spec.Attributes || {}) : [];
  }
}

// ---------------------------------------------------------------------------------------
// References.

// The ${...} names of a Fn::Sub string, without ${!literal}s.
export function subVariables(text) {
  const names = [];
  for (const m of String(text).matchAll(/\$\{([^}]*)\}/g)) {
    if (!m[1].startsWith('!')) names.push(m[1].trim());
  }
  return names;
}

export function checkReferences(template, specChecker) {
  const errors = [];
  const parameters = template.Parameters || {};
  const resources = template.Resources || {};
  const conditions = template.Conditions || {};
  const mappings = template.Mappings || {};
  const usedParameters = new Set();

  const refTarget = (name, where, held, { allowResources = true } = {}) => {
    if (kPseudoParameters.has(name)) return;
    if (name in parameters) { usedParameters.add(name); return; }
    if (name in resources) {
      if (!allowResources) { errors.push(`${where}: ${name} is a resource; Fn::ImportValue may name parameters only`); return; }
      const needs = resources[name].Condition;
      if (needs && !held.has(needs)) errors.push(`${where}: ${name} exists only under condition ${needs}, referenced where it may not hold`);
      return;
    }
    errors.push(`${where}: reference to unknown ${name}`);
  };
  const getAtt = (args, where, held) => {
    if (!Array.isArray(args) || args.length !== 2) { errors.push(`${where}: Fn::GetAtt needs [resource, attribute]`); return; }
    const [id, attr] = args;
    if (!(id in resources)) { errors.push(`${where}: GetAtt of unknown resource ${id}`); return; }
    const needs = resources[id].Condition;
    if (needs && !held.has(needs)) errors.push(`${where}: ${id} exists only under condition ${needs}, referenced where it may not hold`);
    if (typeof attr === 'string' && specChecker) {
      const attrs = specChecker.attributesOf(resources[id].Type);
      if (!attrs.includes(attr)) errors.push(`${where}: ${resources[id].Type} has no attribute ${attr} (has: ${attrs.join(', ')})`);
    }
  };

  const walk = (node, where, held, inImport = false) => {
    if (Array.isArray(node)) { node.forEach((v, i) => walk(v, `${where}[${i}]`, held, inImport)); return; }
    if (!isObject(node)) return;
    const fn = intrinsicOf(node);
    if (fn === 'Ref') { refTarget(node.Ref, where, held, { allowResources: !inImport }); return; }
    if (fn === 'Fn::GetAtt') {
      if (inImport) errors.push(`${where}: Fn::ImportValue may not use Fn::GetAtt`);
      getAtt(typeof node[fn] === 'string' ? node[fn].split(/\.(.*)/s).slice(0, 2) : node[fn], where, held);
      return;
    }
    if (fn === 'Fn::Sub') {
      const arg = node[fn];
      const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
      for (const name of subVariables(text)) {
        if (name in (vars || {})) continue;
        if (name.includes('.') && !name.startsWith('AWS::')) {
          if (inImport) errors.push(`${where}: Fn::ImportValue may not use attributes (${name})`);
          const dot = name.indexOf('.');
          getAtt([name.slice(0, dot), name.slice(dot + 1)], where, held);
        } else {
          refTarget(name, where, held, { allowResources: !inImport });
        }
      }
      if (vars) walk(vars, `${where}.Fn::Sub`, held, inImport);
      return;
    }
    if (fn === 'Fn::If') {
      const args = node[fn];
      if (!Array.isArray(args) || args.length !== 3) { errors.push(`${where}: Fn::If needs [condition, then, else]`); return; }
      if (!(args[0] in conditions)) errors.push(`${where}: Fn::If names unknown condition ${args[0]}`);
      walk(args[1], `${where}.then`, new Set([...held, args[0]]), inImport);
      walk(args[2], `${where}.else`, held, inImport);
      return;
    }
    if (fn === 'Fn::FindInMap') {
      const [map] = node[fn];
      if (typeof map === 'string' && !(map in mappings)) errors.push(`${where}: unknown mapping ${map}`);
    }
    if (fn === 'Fn::ImportValue') { walk(node[fn], `${where}.Fn::ImportValue`, held, true); return; }
    if (Object.keys(node).length === 1 && 'Condition' in node && typeof node.Condition === 'string' && where.startsWith('Conditions')) {
      if (!(node.Condition in conditions)) errors.push(`${where}: unknown condition ${node.Condition}`);
      return;
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`, held, inImport);
  };

  for (const [name, body] of Object.entries(conditions)) walk(body, `Conditions.${name}`, new Set());
  for (const [id, resource] of Object.entries(resources)) {
    const held = new Set(resource.Condition ? [resource.Condition] : []);
    if (resource.Condition && !(resource.Condition in conditions)) errors.push(`Resources.${id}: unknown condition ${resource.Condition}`);
    for (const dep of [].concat(resource.DependsOn || [])) {
      if (!(dep in resources)) errors.push(`Resources.${id}: DependsOn unknown resource ${dep}`);
    }
    walk(resource.Properties || {}, `Resources.${id}.Properties`, held);
  }
  for (const [id, output] of Object.entries(template.Outputs || {})) {
    const held = new Set(output.Condition ? [output.Condition] : []);
    if (output.Condition && !(output.Condition in conditions)) errors.push(`Outputs.${id}: unknown condition ${output.Condition}`);
    walk(output, `Outputs.${id}`, held);
  }
  for (const name of Object.keys(parameters)) {
    if (!usedParameters.has(name)) errors.push(`Parameters.${name}: never used`);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------
// Cross-stack names.

// Evaluates a name expression (string, Ref, Sub) with the stack's parameter defaults.
export function evaluateName(expr, template, stackName) {
  const env = { 'AWS::StackName': stackName };
  for (const [name, p] of Object.entries(template.Parameters || {})) {
    if (p.Default !== undefined) env[name] = String(p.Default);
  }
  const fn = intrinsicOf(expr);
  if (typeof expr === 'string') return expr;
  if (fn === 'Ref' && expr.Ref in env) return env[expr.Ref];
  if (fn === 'Fn::Sub' && typeof expr[fn] === 'string') {
    let missing = false;
    const out = expr[fn].replace(/\$\{([^}!][^}]*)\}/g, (_, name) => {
      if (!(name in env)) missing = true;
      return env[name];
    });
    if (!missing) return out;
  }
  throw new Error(`cannot evaluate the name ${JSON.stringify(expr)} in stack ${stackName}`);
}

export function exportsOf(template, stackName) {
  const out = new Map();
  for (const [id, output] of Object.entries(template.Outputs || {})) {
    if (!output.Export) continue;
    out.set(evaluateName(output.Export.Name, template, stackName), { output: id, condition: output.Condition });
  }
  return out;
}

export function importsOf(template, stackName) {
  const found = [];
  const walk = (node, where) => {
    if (Array.isArray(node)) { node.forEach((v, i) => walk(v, `${where}[${i}]`)); return; }
    if (!isObject(node)) return;
    if (intrinsicOf(node) === 'Fn::ImportValue') {
      found.push({ where, name: evaluateName(node['Fn::ImportValue'], template, stackName) });
      return;
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
  };
  walk(template.Resources || {}, 'Resources');
  walk(template.Outputs || {}, 'Outputs');
  return found;
}

// Every node of a value, depth first (for "every statement"-style checks).
export function* nodes(value) {
  yield value;
  if (Array.isArray(value)) for (const v of value) yield* nodes(v);
  else if (isObject(value)) for (const v of Object.values(value)) yield* nodes(v);
}
