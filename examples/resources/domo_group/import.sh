# Import an existing Domo group by its numeric id...
terraform import domo_group.sales 1234567

# ...or by its exact name (fails, listing the ids, if several groups have it).
terraform import domo_group.sales "name:Sales EMEA"
