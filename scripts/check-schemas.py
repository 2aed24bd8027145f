#!/usr/bin/env python3
"""Checks that the JSON Schemas are valid 2020-12 schemas and that every shipped rule
file validates against its schema, so editors with a YAML language server agree with
the engine. Installs jsonschema and PyYAML from PyPI when they are missing."""
import importlib, json, os, subprocess, sys

for module, package in [("jsonschema", "jsonschema"), ("yaml", "PyYAML")]:
    try:
        importlib.import_module(module)
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", package])

import jsonschema, yaml


class Yaml12Loader(yaml.SafeLoader):
    """Reads dates as strings, as YAML 1.2 (and the engine, and editors) do."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failed = 0
checked = 0
json.load(open(os.path.join(root, "schemas/openrpc.json")))
for kind in ["permissions", "commission", "pricing"]:
    schema_path = os.path.join(root, f"schemas/{kind}.schema.json")
    rules_path = os.path.join(root, f"rules/{kind}.yaml")
    if not os.path.exists(schema_path):
        continue
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(yaml.load(open(rules_path), Loader=Yaml12Loader)))
    for e in errors:
        print(f"rules/{kind}.yaml: {'/'.join(map(str, e.path))}: {e.message}")
    failed += len(errors)
    checked += 1
print(f"{checked} passed, {failed} failed")
sys.exit(1 if failed else 0)
