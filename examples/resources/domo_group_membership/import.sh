# Import a membership by <group_id>/<user_id>.
terraform import domo_group_membership.ada_analysts 1234567/7654321
