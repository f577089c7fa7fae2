"""A scheduler: enqueues a job every 15 seconds."""
import itertools, time

for n in itertools.count(1):
    print("scheduler: enqueued job", n)
    time.sleep(15)
