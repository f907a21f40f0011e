# Import the member list of an existing group by the group's id.
terraform import domo_group_members.sales 1234567
