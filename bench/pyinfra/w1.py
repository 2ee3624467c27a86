# W1, the workload of the public pyinfra-performance benchmark, for pyinfra 3: the twin of
# bench/workloads/w1.ts and bench/ansible/w1.yml, step for step. sudo (with the lab's password),
# the user, key and strict host-key checking come from the inventory bench/lib/fleet.ts writes.
# files.file without `touch` creates the log file when missing and leaves an existing one alone,
# as the engine's touch and Ansible's touch with both times preserved do.
import os

from pyinfra.operations import files, server

# The same file Ansible copies. Absolute: pyinfra runs from the bench's work folder.
TEST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ansible", "files", "test_file.txt")

server.user(
    name="Add pyinfra user",
    user="pyinfra",
    home="/home/pyinfra",
    shell="/bin/bash",
)

files.file(
    name="Add log file",
    path="/var/log/pyinfra.log",
    user="pyinfra",
    mode="777",
)

files.put(
    name="Copy a file",
    src=TEST_FILE,
    dest="/home/pyinfra/test_file.txt",
    user="pyinfra",
)

server.shell(
    name="Run some shell",
    commands=['echo "hi!"'],
)
