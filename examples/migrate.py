"""A migration task: runs once, before the backend starts."""
import json, os, time

data_dir = os.environ.get("DATA_DIR", "examples/.data")
os.makedirs(data_dir, exist_ok=True)
path = os.path.join(data_dir, "schema.json")
print("applying migrations to", path)
time.sleep(0.3)
with open(path, "w") as f:
    json.dump({"version": 3, "tables": ["users", "jobs"]}, f)
print("schema at version 3")
