"""coaching: playbook search and the playbook (锦囊) mined from won deals."""
